import { createSocket, type Socket } from 'node:dgram';

/**
 * A UDP socket on 127.0.0.1 standing for the X-Ray daemon (AWS_XRAY_DAEMON_ADDRESS): it counts
 * the datagrams and bytes the X-Ray SDK sends and does nothing else with them.
 */
export class UdpReceiver {
  datagrams = 0;
  bytes = 0;
  private socket?: Socket;

  /** Binds a free port; resolves with `127.0.0.1:<port>`. */
  async start(): Promise<string> {
    // A large receive buffer: a batch's datagrams come in a burst, and a full buffer drops them.
    const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 2 ** 20 });
    this.socket = socket;
    socket.on('message', (message: Buffer) => {
      this.datagrams += 1;
      this.bytes += message.length;
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${socket.address().port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }
}

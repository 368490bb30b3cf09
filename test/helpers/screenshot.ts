import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { StaticServer } from '../../bin/local/local-server';
import { CHROMIUM, requireProgram } from './requirements';

/** A screenshot by headless Chromium: the decoded image and the PNG file's bytes. */
export interface Screenshot {
  readonly png: PNG;
  readonly bytes: Buffer;
}

/**
 * A screenshot of a self-contained page, served from 127.0.0.1 and drawn by headless Chromium at
 * the given size (no network, no GPU, a throwaway profile). Fails with Chromium's output when it
 * draws nothing.
 */
export async function screenshotPage(html: string, width: number, height: number): Promise<Screenshot> {
  const chromium = requireProgram(CHROMIUM);
  const server = new StaticServer((req, _body, res) => {
    if (req.url === '/page.html')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else res.writeHead(404).end();
  });
  await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'chromium-'));
  const file = join(dir, 'page.png');
  try {
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--force-device-scale-factor=1',
      '--hide-scrollbars',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--window-size=${width},${height}`,
      `--screenshot=${file}`,
      `${server.endpoint}/page.html`,
    ];
    let stderr = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const timer = setTimeout(() => child.kill(), 60_000);
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    if (code !== 0 || !existsSync(file)) throw new Error(`chromium exited with ${code}: ${stderr}`);
    const bytes = readFileSync(file);
    return { png: PNG.sync.read(bytes), bytes };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `#1e88e5` → `[30, 136, 229]`. */
export function hexColor(color: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];
}

import { App, CfnElement, Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as YAML from 'yaml';
import {
  DebugExporterVerbosity,
  ExporterHeaderValue,
  TracingExporter,
  TransactionSearch,
} from '../../../lib';
import {
  pinnedDistribution,
  renderCollectorConfig,
  validateCollectorConfig,
} from '../../../lib/collector/private/collector-config';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-key-AbCdEf';

function concreteSecret(): secretsmanager.ISecret {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  return secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN);
}

describe('pinned distribution', () => {
  test('is the upstream 0.23.0 component list', () => {
    const d = pinnedDistribution();
    expect(d.version).toBe('0.23.0');
    expect(d.processors).toEqual(expect.arrayContaining(['batch', 'decouple', 'probabilistic_sampler']));
    expect(d.processors).not.toContain('tail_sampling');
    expect(d.exporters).not.toContain('awsxray');
    expect(d.confmapProviders).toContain('secretsmanager');
  });
});

describe('renderCollectorConfig', () => {
  const cases: [string, () => TracingExporter][] = [
    ['debug (default verbosity)', () => TracingExporter.debug()],
    ['debug (detailed)', () => TracingExporter.debug({ verbosity: DebugExporterVerbosity.DETAILED })],
    ['otlp without headers', () => TracingExporter.otlp({ endpoint: 'https://otlp.example.com' })],
    [
      'otlp with plain and secret headers',
      () =>
        TracingExporter.otlp({
          endpoint: 'https://otlp.example.com',
          headers: {
            'x-team': ExporterHeaderValue.plain('payments'),
            'x-api-key': ExporterHeaderValue.fromSecret(concreteSecret()),
            'x-dataset': ExporterHeaderValue.fromSecret(concreteSecret(), 'dataset'),
          },
        }),
    ],
  ];

  test.each(cases)(
    '%s: valid for the pinned distribution, with the fixed receivers and pipeline',
    (_n, exporter) => {
      const rendered = renderCollectorConfig(exporter());
      const parsed = YAML.parse(rendered.yaml);
      expect(parsed).toEqual(rendered.config);
      expect(() => validateCollectorConfig(parsed, pinnedDistribution())).not.toThrow();
      expect(parsed.receivers.otlp.protocols).toEqual({
        grpc: { endpoint: 'localhost:4317' },
        http: { endpoint: 'localhost:4318' },
      });
      expect(parsed.processors).toEqual({ batch: {}, decouple: {} });
      const traces = parsed.service.pipelines.traces;
      expect(traces.receivers).toEqual(['otlp']);
      expect(traces.processors).toEqual(['batch', 'decouple']);
      expect(traces.exporters).toEqual(Object.keys(parsed.exporters));
    },
  );

  test('debug exporter', () => {
    expect(renderCollectorConfig(TracingExporter.debug()).config.exporters).toEqual({
      debug: { verbosity: 'basic' },
    });
    expect(
      renderCollectorConfig(TracingExporter.debug({ verbosity: DebugExporterVerbosity.NORMAL })).config
        .exporters,
    ).toEqual({ debug: { verbosity: 'normal' } });
  });

  test('otlp_http exporter with secret references, never values', () => {
    const rendered = renderCollectorConfig(cases[3][1]());
    expect(rendered.config.exporters).toEqual({
      otlp_http: {
        endpoint: 'https://otlp.example.com',
        headers: {
          'x-team': 'payments',
          'x-api-key': `\${secretsmanager:${SECRET_ARN}}`,
          'x-dataset': `\${secretsmanager:${SECRET_ARN}#dataset}`,
        },
      },
    });
    expect(rendered.secrets).toHaveLength(2);
    expect(rendered.environment).toEqual({});
  });

  test('otlp without headers has no headers key', () => {
    const rendered = renderCollectorConfig(TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }));
    expect(rendered.config.exporters).toEqual({ otlp_http: { endpoint: 'https://otlp.example.com' } });
  });

  test('deploy-time values (tokens) go through environment variables, so the file is the same for every function', () => {
    const stack = new Stack(new App(), 'S');
    const a = new secretsmanager.Secret(stack, 'A');
    const b = new secretsmanager.Secret(stack, 'B');
    const render = (secret: secretsmanager.ISecret) =>
      renderCollectorConfig(
        TracingExporter.otlp({
          endpoint: 'https://otlp.example.com',
          headers: { 'x-api-key': ExporterHeaderValue.fromSecret(secret, 'key') },
        }),
      );
    const ra = render(a);
    const rb = render(b);
    expect(ra.yaml).toBe(rb.yaml);
    expect(ra.yaml).toContain('${secretsmanager:${env:CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0}#key}');
    expect(stack.resolve(ra.environment)).toEqual({
      CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0: {
        Ref: stack.getLogicalId(a.node.defaultChild as CfnElement),
      },
    });
  });
});

describe('renderCollectorConfig: every exporter with and without collector-side sampling', () => {
  const exporters: [string, () => TracingExporter, Record<string, unknown>][] = [
    [
      'otlp',
      () => TracingExporter.otlp({ endpoint: 'https://otlp.example.com' }),
      { otlp_http: { endpoint: 'https://otlp.example.com' } },
    ],
    ['debug', () => TracingExporter.debug(), { debug: { verbosity: 'basic' } }],
    [
      'xray',
      () => TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }),
      {
        otlp_http: {
          traces_endpoint: 'https://xray.${env:AWS_REGION}.amazonaws.com/v1/traces',
          auth: { authenticator: 'sigv4auth' },
        },
      },
    ],
  ];
  const samplings: [string, number | undefined, Record<string, unknown>, string[]][] = [
    ['no sampling', undefined, { batch: {}, decouple: {} }, ['batch', 'decouple']],
    [
      'probabilistic 25%',
      25,
      { probabilistic_sampler: { sampling_percentage: 25 }, batch: {}, decouple: {} },
      ['probabilistic_sampler', 'batch', 'decouple'],
    ],
  ];
  const matrix = exporters.flatMap(([name, exporter, exporters]) =>
    samplings.map(
      ([sampling, samplingPercentage, processors, order]) =>
        [name, sampling, exporter, exporters, samplingPercentage, processors, order] as const,
    ),
  );

  test.each(matrix)(
    '%s, %s: valid for the pinned distribution, as rendered',
    (name, _s, exporter, exporters, samplingPercentage, processors, order) => {
      const rendered = renderCollectorConfig(exporter(), { samplingPercentage });
      const parsed = YAML.parse(rendered.yaml);
      expect(parsed).toEqual(rendered.config);
      expect(() => validateCollectorConfig(parsed, pinnedDistribution())).not.toThrow();
      const xray = name === 'xray';
      expect(parsed).toEqual({
        receivers: {
          otlp: {
            protocols: { grpc: { endpoint: 'localhost:4317' }, http: { endpoint: 'localhost:4318' } },
          },
        },
        processors,
        exporters,
        ...(xray ? { extensions: { sigv4auth: { region: '${env:AWS_REGION}', service: 'xray' } } } : {}),
        service: {
          ...(xray ? { extensions: ['sigv4auth'] } : {}),
          pipelines: {
            traces: { receivers: ['otlp'], processors: order, exporters: Object.keys(exporters) },
          },
        },
      });
      expect(rendered.environment).toEqual({});
    },
  );

  test('the X-Ray configuration as YAML: region-independent, signed by sigv4auth', () => {
    const { yaml } = renderCollectorConfig(
      TracingExporter.xray({ transactionSearch: TransactionSearch.enable() }),
      { samplingPercentage: 10 },
    );
    expect(yaml).toBe(
      [
        '# Rendered by cdk-serverless-tracing for the OpenTelemetry Collector Lambda layer 0.23.0.',
        'receivers:',
        '  otlp:',
        '    protocols:',
        '      grpc:',
        '        endpoint: localhost:4317',
        '      http:',
        '        endpoint: localhost:4318',
        'processors:',
        '  probabilistic_sampler:',
        '    sampling_percentage: 10',
        '  batch: {}',
        '  decouple: {}',
        'exporters:',
        '  otlp_http:',
        '    traces_endpoint: https://xray.${env:AWS_REGION}.amazonaws.com/v1/traces',
        '    auth:',
        '      authenticator: sigv4auth',
        'extensions:',
        '  sigv4auth:',
        '    region: ${env:AWS_REGION}',
        '    service: xray',
        'service:',
        '  extensions:',
        '    - sigv4auth',
        '  pipelines:',
        '    traces:',
        '      receivers:',
        '        - otlp',
        '      processors:',
        '        - probabilistic_sampler',
        '        - batch',
        '        - decouple',
        '      exporters:',
        '        - otlp_http',
        '',
      ].join('\n'),
    );
  });

  test('the X-Ray configuration is the same whatever the Transaction Search settings', () => {
    const render = (transactionSearch: TransactionSearch) =>
      renderCollectorConfig(TracingExporter.xray({ transactionSearch })).yaml;
    expect(render(TransactionSearch.enable({ indexingPercentage: 50 }))).toBe(
      render(TransactionSearch.alreadyEnabled()),
    );
  });

  test.each([0, 100, 0.5])('sampling percentage %s is written as is', (samplingPercentage) => {
    const rendered = renderCollectorConfig(TracingExporter.debug(), { samplingPercentage });
    expect(rendered.config.processors).toEqual({
      probabilistic_sampler: { sampling_percentage: samplingPercentage },
      batch: {},
      decouple: {},
    });
  });

  test('a deploy-time sampling percentage (token) goes through an environment variable', () => {
    const stack = new Stack(new App(), 'S');
    const percentage = Token.asNumber({ Ref: 'Percentage' });
    const rendered = renderCollectorConfig(TracingExporter.debug(), { samplingPercentage: percentage });
    expect(rendered.yaml).toContain('sampling_percentage: ${env:CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0}');
    expect(stack.resolve(rendered.environment)).toEqual({
      CDK_SERVERLESS_TRACING_COLLECTOR_VALUE_0: { Ref: 'Percentage' },
    });
  });

  test.each([-1, 100.5, NaN])('sampling percentage %s is refused', (samplingPercentage) => {
    expect(() => renderCollectorConfig(TracingExporter.debug(), { samplingPercentage })).toThrow(
      `samplingPercentage must be between 0 and 100 (got ${samplingPercentage})`,
    );
  });
});

describe('validateCollectorConfig', () => {
  const base = () => renderCollectorConfig(TracingExporter.debug()).config as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  test('rejects a processor the distribution lacks (tail_sampling)', () => {
    const config = base();
    config.processors.tail_sampling = { policies: [] };
    config.service.pipelines.traces.processors = ['tail_sampling', 'batch', 'decouple'];
    expect(() => validateCollectorConfig(config)).toThrow(
      /processor 'tail_sampling' is not in the collector distribution 0.23.0/,
    );
  });

  test('checks the component type before a /name suffix', () => {
    const config = base();
    config.exporters['otlp_http/backup'] = { endpoint: 'https://b.example.com' };
    config.exporters['awsxray/main'] = {};
    expect(() => validateCollectorConfig(config)).toThrow(/exporter 'awsxray' is not in/);
    delete config.exporters['awsxray/main'];
    expect(() => validateCollectorConfig(config)).not.toThrow();
  });

  test('rejects an unknown extension and an unknown receiver', () => {
    const config = base();
    config.extensions = { oauth2client: {} };
    config.receivers.zipkin = {};
    expect(() => validateCollectorConfig(config)).toThrow(/receiver 'zipkin'[\s\S]*extension 'oauth2client'/);
  });

  test('rejects a configuration provider the distribution lacks', () => {
    const config = base();
    config.exporters.debug.verbosity = '${vault:secret/verbosity}';
    expect(() => validateCollectorConfig(config)).toThrow(/configuration provider '\$\{vault:...\}'/);
  });

  test('accepts the providers the distribution has, nested too', () => {
    const config = base();
    config.exporters.debug.verbosity = '${secretsmanager:${env:ARN}#field}';
    expect(() => validateCollectorConfig(config)).not.toThrow();
  });

  test('rejects a pipeline naming an unconfigured component', () => {
    const config = base();
    config.service.pipelines.traces.exporters = ['otlp_http'];
    expect(() => validateCollectorConfig(config)).toThrow(
      /names exporter 'otlp_http', which is not configured/,
    );
  });

  const xray = () =>
    renderCollectorConfig(TracingExporter.xray({ transactionSearch: TransactionSearch.alreadyEnabled() }))
      .config as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  test('rejects an exporter authenticator that is not configured', () => {
    const config = xray();
    config.exporters.otlp_http.auth.authenticator = 'oauth2client';
    expect(() => validateCollectorConfig(config)).toThrow(
      /exporter 'otlp_http' authenticates with 'oauth2client', which is not configured under extensions/,
    );
  });

  test('rejects an authenticator that is configured but not in service.extensions', () => {
    const config = xray();
    config.service.extensions = [];
    expect(() => validateCollectorConfig(config)).toThrow(
      /exporter 'otlp_http' authenticates with 'sigv4auth', which is not listed in service.extensions/,
    );
  });

  test('checks receiver authenticators too', () => {
    const config = xray();
    config.receivers.otlp.protocols.http.auth = { authenticator: 'basicauth' };
    expect(() => validateCollectorConfig(config)).toThrow(
      /receiver 'otlp' authenticates with 'basicauth', which is not configured/,
    );
    config.extensions.basicauth = { htpasswd: { inline: 'u:p' } };
    config.service.extensions.push('basicauth');
    expect(() => validateCollectorConfig(config)).not.toThrow();
  });

  test('rejects service.extensions naming an unconfigured extension', () => {
    const config = xray();
    delete config.extensions.sigv4auth;
    expect(() => validateCollectorConfig(config)).toThrow(
      /service.extensions names 'sigv4auth', which is not configured under extensions/,
    );
  });

  test('rejects decouple before another processor', () => {
    const config = base();
    config.service.pipelines.traces.processors = ['decouple', 'batch'];
    expect(() => validateCollectorConfig(config)).toThrow(/decouple processor must be the last/);
  });
});

#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { TracingSettings } from '../../lib';
import { PaymentStack } from './payment-stack';

const app = new App();

// App-wide tracing settings: every traced function of every stack starts from these; stacks and
// functions override them (nearer wins).
TracingSettings.set(app, {
  samplingRatio: 0.25,
  logRetention: logs.RetentionDays.TWO_WEEKS,
});

new PaymentStack(app, 'PaymentStack', {
  fraudApiUrl: app.node.tryGetContext('fraudApiUrl'),
});

#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { paymentApp } from './payment-app';

const app = new App();

// The payment flow in two stages, Prod and Dev, with the tracing settings a payment team uses
// (see payment-app.ts): `cdk deploy 'Prod/*'` or `cdk deploy 'Dev/*'`.
paymentApp(app, { fraudApiUrl: app.node.tryGetContext('fraudApiUrl') });

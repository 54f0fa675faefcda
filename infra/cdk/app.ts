// The CDK app (cdk.json: `npx tsx infra/cdk/app.ts`). Account and region come from the CLI's
// CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION (set from your credentials on deploy). Without an
// account (no credentials: offline synth, CI) it uses the dummy pair whose availability zones
// cdk.json carries, whatever region the shell names, so `cdk synth` needs no account and no
// network: a region without its zones in the context would make the CLI look them up.
import { App } from 'aws-cdk-lib';
import { MinuteCreditsStack } from './stack';

const OFFLINE_ACCOUNT = '123456789012';
const OFFLINE_REGION = 'us-east-1';

const app = new App();
new MinuteCreditsStack(app, 'MinuteCredits', {
  description: 'Minute Credits: prepaid credits spent on live sessions, billed to the period',
  env:
    process.env.CDK_DEFAULT_ACCOUNT === undefined
      ? { account: OFFLINE_ACCOUNT, region: OFFLINE_REGION }
      : { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? OFFLINE_REGION },
});
app.synth();

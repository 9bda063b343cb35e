/**
 * Synthesizes the app on the real manifest with every activity that may be a worker (all
 * but those of Express workflows) in `activityWorkers` into
 * the directory given as the first argument, and the lake's analytics integration on
 * (`lakeAnalyticsIntegration`), for scripts/test.sh to run cfn-lint on the Activities,
 * worker policies and roles, the Glue catalog and the Lake Formation registration the
 * default template does not have.
 */
import { buildApp } from '../lib/app';
import { fakeArtifact, workerEligible } from './helpers';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: synth-workers.ts OUTDIR');
buildApp(
  { artifactDir: fakeArtifact('x86_64'), activityWorkers: workerEligible().join(','), lakeAnalyticsIntegration: 'true' },
  out,
).app.synth();

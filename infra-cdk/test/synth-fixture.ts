/**
 * Synthesizes the app on the fixture manifest (fixture.ts) into the directory given as the
 * first argument, for scripts/test.sh to run cfn-lint on the declared resources and event
 * rules the real manifest does not (yet) have.
 */
import { buildApp } from '../lib/app';
import { fixture } from './fixture';
import { fakeArtifact } from './helpers';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: synth-fixture.ts OUTDIR');
buildApp({ artifactDir: fakeArtifact('x86_64'), generatedDir: fixture() }, out).app.synth();

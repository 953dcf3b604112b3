// Entry of the workflow bench's keel processes (chain api, keel api, keel worker): keel's features plus
// the bench workflow feature. Run from a snapshot by bench/workflow/index.ts.
import { bootKeel } from '../../support/keel-entry.js';
import { BenchWorkflowModule } from './workflow.module.js';

await bootKeel([(role) => BenchWorkflowModule.forRole(role)]);

// Entry of bench/http's keel processes: keel's features plus the bench's hello and validated routes.
import { bootKeel } from '../../support/keel-entry.js';
import { BenchHelloModule } from './hello.module.js';
import { BenchValidatedModule } from './validated.module.js';

await bootKeel([(role) => BenchHelloModule.forRole(role), (role) => BenchValidatedModule.forRole(role)]);

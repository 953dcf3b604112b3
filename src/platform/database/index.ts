export { DatabaseModule } from './database.module.js';
export { TransactionRunner, type CommitParticipant } from './transaction-runner.js';
export { MongoTarget } from './mongo-target.js';

import type { DynamicModule } from '@nestjs/common';
import type { AppRole } from '../config/index.js';
import { AiJobsModule } from './ai-jobs/ai-jobs.module.js';
import { CryptoModule } from './crypto/crypto.module.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { PaymentsModule } from './payments/payments.module.js';

/** Every feature module, each built for the process role. `nest g feature` appends here. */
export const FEATURES: Array<(role: AppRole) => DynamicModule> = [
  (role) => AiJobsModule.forRole(role),
  (role) => CryptoModule.forRole(role),
  (role) => MessagingModule.forRole(role),
  (role) => PaymentsModule.forRole(role),
];

import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfig, ConfigModule } from './config/index.js';
import { FEATURES } from './features/index.js';
import { AdminUiModule } from './platform/admin-ui/index.js';
import { DatabaseModule } from './platform/database/index.js';
import { EventsModule } from './platform/events/index.js';
import { HealthModule } from './platform/health/index.js';
import { HttpEdgeModule } from './platform/http/index.js';
import { LifecycleModule } from './platform/lifecycle/index.js';
import { LoggingModule } from './platform/logging/index.js';
import { MetricsModule } from './platform/metrics/index.js';
import { BullRootModule, RedisModule } from './platform/redis/index.js';
import { SchedulingModule } from './platform/scheduling/index.js';

@Module({})
export class AppModule {
  /** The whole application for one role; each feature decides from the role what it mounts. */
  static forRoot(config: AppConfig, features = FEATURES): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        HttpEdgeModule.forRoot(config),
        RedisModule,
        DatabaseModule,
        BullRootModule,
        LifecycleModule,
        HealthModule,
        MetricsModule.forRoot(config),
        AdminUiModule.forRole(config.APP_ROLE),
        EventsModule.forRole(config.APP_ROLE),
        SchedulingModule.forRole(config.APP_ROLE),
        ...features.map((forRole) => forRole(config.APP_ROLE)),
      ],
    };
  }
}

import { Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger } from 'nestjs-pino';
import type { AppConfig } from '../../config/index.js';
import { loggerParams } from './logger-params.js';

/** nestjs-pino for the application: request logging middleware, PinoLogger injection. */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot(loggerParams(config))],
    };
  }
}

/**
 * The Nest logger to pass to NestFactory.create, so that even boot messages are JSON lines. It shares
 * the one pino instance nestjs-pino keeps per process.
 */
export function createAppLogger(config: AppConfig): LoggerService {
  const params = loggerParams(config);
  const logger = new Logger(new PinoLogger(params), params);
  PinoLogger.root.level = config.LOG_LEVEL;
  return logger;
}

// The raw-framework anchor of bench/http: NestJS on the same Fastify adapter with one constant POST
// route and nothing else (no keel edge, no logging).
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class HelloController {
  @Post('hello')
  @HttpCode(200)
  hello() {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

const app = await NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter(), { logger: false });
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log(`listening on ${await app.getUrl()}`);

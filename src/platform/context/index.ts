export { RequestContext, type RequestContextData } from './request-context.js';

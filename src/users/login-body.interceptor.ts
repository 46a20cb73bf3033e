import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { toWrappedLoginBody } from 'src/users/dto/create-authenticated-user.dto';

/**
 * `POST /users/{auraId}` takes the authentication context wrapped or bare (toWrappedLoginBody). Interceptors run
 * before pipes, so the global ValidationPipe sees one shape — the wrapped one — and validates it as every body.
 */
@Injectable()
export class LoginBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.body = toWrappedLoginBody(request.body);
    return next.handle();
  }
}

import { Injectable, OnModuleInit, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_METADATA, type AccessDeclaration, accessSummary } from 'src/auth/authenticated.decorator';

export interface RouteAccess {
  method: string;
  path: string;
  declaration: AccessDeclaration | undefined;
  /** The credentials the route admits (see accessSummary), or `UNDECLARED`. */
  access: string;
}

function joinPath(...parts: (string | string[] | undefined)[]): string {
  const segments = parts
    .map((part) => (Array.isArray(part) ? part[0] : part) ?? '')
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '');
  return '/' + segments.join('/');
}

/**
 * Lists every controller route with the access it declares. Used at boot (an undeclared
 * route stops the service) and by the permission snapshot test.
 */
@Injectable()
export class RouteAccessRegistry implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const undeclared = this.routes().filter((route) => route.access === 'UNDECLARED');
    if (undeclared.length > 0) {
      const list = undeclared.map((route) => `${route.method} ${route.path}`).join(', ');
      throw new Error(`Routes without @Authenticated() or @NoCredential(): ${list}`);
    }
  }

  routes(): RouteAccess[] {
    return this.discovery.getControllers().flatMap(({ instance, metatype }) => {
      if (instance === undefined || metatype === null || metatype === undefined) {
        return [];
      }
      const prototype = Object.getPrototypeOf(instance) as object;
      const controllerPath = this.reflector.get<string | string[] | undefined>(PATH_METADATA, metatype);
      return this.scanner.getAllMethodNames(prototype).flatMap((name) => {
        const handler = (prototype as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
        const methodPath = this.reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
        const method = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
        if (methodPath === undefined || method === undefined) {
          return [];
        }
        const declaration = this.reflector.getAllAndOverride<AccessDeclaration | undefined>(ACCESS_METADATA, [
          handler,
          metatype,
        ]);
        return [
          {
            method: RequestMethod[method],
            path: joinPath(controllerPath, methodPath),
            declaration,
            access: accessSummary(declaration),
          },
        ];
      });
    });
  }
}

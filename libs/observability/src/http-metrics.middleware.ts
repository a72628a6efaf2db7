import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { metrics } from './metrics';
import { OBSERVED_APP } from './observability.tokens';

interface RoutedRequest {
  method: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

interface FinishingResponse {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): void;
}

/** Route templates only (`/images/:id`), never raw paths, so labels stay few and carry no names. */
export function routeTemplate(request: RoutedRequest): string {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : 'unmatched';
}

/** Counts and times every HTTP request of the app once its response is sent (or the client went away). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware<RoutedRequest, FinishingResponse> {
  constructor(@Inject(OBSERVED_APP) private readonly app: string) {}

  use(request: RoutedRequest, response: FinishingResponse, next: () => void): void {
    const stopTimer = metrics.httpDuration.startTimer();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const labels = { app: this.app, route: routeTemplate(request), method: request.method };
      stopTimer(labels);
      metrics.httpRequests.inc({ ...labels, status: String(response.statusCode) });
    };
    response.once('finish', record);
    response.once('close', record);
    next();
  }
}

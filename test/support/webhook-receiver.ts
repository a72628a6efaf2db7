import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One POST as a webhook endpoint received it. */
export interface WebhookRequest {
  body: string;
  signature: string | undefined;
  eventId: string | undefined;
}

/** A webhook endpoint on a free loopback port: answers `status` (204 by default) and keeps every request. */
export class WebhookReceiver {
  readonly requests: WebhookRequest[] = [];
  status = 204;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => receiver.receive(request, response));
    return receiver;
  }

  private receive(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: request.headers['x-visage-signature'] as string | undefined,
        eventId: request.headers['x-visage-event-id'] as string | undefined,
      });
      response.writeHead(this.status).end();
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL nothing listens on: a loopback port that was bound and released again (connections are refused). */
export async function deadEndpointUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/down`;
}

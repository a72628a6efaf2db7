import { ApiScope } from '@visage/access';

/** Who a request acts as: an API key (a dashboard session acts with the key it signed in with). */
export interface Principal {
  keyId: number;
  keyName: string;
  scope: ApiScope;
}

/** A request the guard authenticated carries its principal; with AUTH=off there is none. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

/** The audit log's `actor`: `key:<id>`, or `anonymous` when AUTH=off let the request in without a key. */
export function actorOf(principal: Principal | undefined): string {
  return principal ? `key:${principal.keyId}` : 'anonymous';
}

/**
 * Message bodies on the wire. A published event is the JSON of its data (`{"imageId":42}`); seed publishers also
 * send bare ids (`42`), which are handed over as they are. A deferred message is re-published inside an envelope
 * that carries the attempts already counted, because NSQ's own `attempts` counts every delivery.
 */
export const ENVELOPE_KEY = '__visageQueueEnvelope';

export interface EnvelopeHeader {
  /** Id of the first incarnation, so handlers see one id however often a message was deferred. */
  id: string;
  /** Counted attempts before this incarnation. */
  priorAttempts: number;
  /** Timestamp (ms) of the first publish. */
  timestamp: number;
  deferrals: number;
}

export type DecodedBody = { ok: true; data: unknown; envelope?: EnvelopeHeader } | { ok: false; reason: string; preview: string };

export function encodeEventBody(data: unknown): string {
  const text = JSON.stringify(data);
  if (text === undefined) throw new TypeError('queue events must be JSON-serialisable (got undefined)');
  return text;
}

export function encodeEnvelope(header: EnvelopeHeader, data: unknown): string {
  return JSON.stringify({ [ENVELOPE_KEY]: header, data });
}

function isEnvelopeHeader(value: unknown): value is EnvelopeHeader {
  if (typeof value !== 'object' || value === null) return false;
  const header = value as Record<string, unknown>;
  return (
    typeof header.id === 'string' &&
    Number.isInteger(header.priorAttempts) &&
    (header.priorAttempts as number) >= 0 &&
    typeof header.timestamp === 'number' &&
    Number.isInteger(header.deferrals)
  );
}

export function decodeBody(body: Buffer | string): DecodedBody {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const preview = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'empty body', preview };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    // Seed compatibility: a bare token such as an id or a plain word (no spaces, no JSON punctuation).
    if (/^[\w.:-]+$/.test(trimmed)) return { ok: true, data: trimmed };
    return { ok: false, reason: 'body is not JSON', preview };
  }
  if (typeof parsed === 'object' && parsed !== null && ENVELOPE_KEY in parsed) {
    const envelope = parsed as Record<string, unknown>;
    const header = envelope[ENVELOPE_KEY];
    if (!isEnvelopeHeader(header) || !('data' in envelope)) {
      return { ok: false, reason: 'malformed deferral envelope', preview };
    }
    return { ok: true, data: envelope.data, envelope: header };
  }
  return { ok: true, data: parsed };
}

import { Metadata, status } from '@grpc/grpc-js';
import { RECOGNIZER_NOT_READY, RECOGNIZER_OVERLOADED } from '@visage/domain';
import { REASON_METADATA_KEY } from './face-proto';
import { describe, expect, it } from 'vitest';
import { toFaceAnalysisError } from './status-mapping';

describe('toFaceAnalysisError', () => {
  it.each([
    [status.INVALID_ARGUMENT, 'permanent'],
    [status.NOT_FOUND, 'permanent'],
    [status.PERMISSION_DENIED, 'permanent'],
    [status.FAILED_PRECONDITION, 'permanent'],
    [status.UNAVAILABLE, 'transient'],
    [status.RESOURCE_EXHAUSTED, 'transient'],
    [status.DEADLINE_EXCEEDED, 'transient'],
    [status.INTERNAL, 'transient'],
    [status.UNKNOWN, 'transient'],
    [status.CANCELLED, 'transient'],
  ])('status %i is %s', (code, kind) => {
    const error = toFaceAnalysisError({ code, details: 'corrupt: premature end' });
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(status[code]);
    expect(error.message).toBe('corrupt: premature end');
  });

  it('treats an error without a code as transient', () => {
    expect(toFaceAnalysisError({ message: 'socket hang up' })).toMatchObject({ kind: 'transient', code: 'UNKNOWN' });
  });

  it("carries the recognizer's reason, so a service still loading its models is told apart", () => {
    const metadata = new Metadata();
    metadata.set(REASON_METADATA_KEY, RECOGNIZER_NOT_READY);
    const loading = toFaceAnalysisError({ code: status.UNAVAILABLE, details: 'models are still loading', metadata });
    expect(loading).toMatchObject({ kind: 'transient', code: 'UNAVAILABLE', reason: RECOGNIZER_NOT_READY });
    expect(toFaceAnalysisError({ code: status.UNAVAILABLE, details: 'connection refused' }).reason).toBeUndefined();
  });

  it('names overload (queue full, or the deadline passed while queued in the recognizer), not a bare client-side timeout', () => {
    const queued = new Metadata();
    queued.set(REASON_METADATA_KEY, 'deadline_exceeded');
    expect(toFaceAnalysisError({ code: status.RESOURCE_EXHAUSTED, details: 'queue full' }).reason).toBe(RECOGNIZER_OVERLOADED);
    expect(toFaceAnalysisError({ code: status.DEADLINE_EXCEEDED, details: 'deadline passed while queued', metadata: queued })).toMatchObject({
      kind: 'transient',
      reason: RECOGNIZER_OVERLOADED,
    });
    expect(toFaceAnalysisError({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }).reason).toBeUndefined();
  });
});

import { MAX_ID } from '@visage/domain';
import { idParam, personName } from '@visage/validation';
import { z } from 'zod';
import { Confirmations } from '../receiver/receiver-api.client';

/** `asked`: the faces the confirmation page asked about, one field each (a single one arrives as text). */
const askedFaceIds = z.preprocess(
  (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
  z.array(idParam('asked', `each face asked about must be an id from 1 to ${MAX_ID}`)),
);

/**
 * "Name this person" / "This is …", and the confirmation page posting it again: the name rule of the receiver's
 * assign and name bodies, and the reviewer's answers — each face asked about (`asked`) is either kept
 * (`keep-<faceId>` = `confirm`) or, by default, left out; without a choice to leave out (one face), kept means
 * confirmed.
 */
export const nameForm = z.looseObject({ name: personName, asked: askedFaceIds }).transform((form): { name: string } & Confirmations => {
  const confirm: number[] = [];
  const leaveOut: number[] = [];
  for (const faceId of form.asked) {
    if (faceId !== undefined) (form[`keep-${faceId}`] === 'confirm' ? confirm : leaveOut).push(faceId);
  }
  return { name: form.name, ...(confirm.length > 0 ? { confirm } : {}), ...(leaveOut.length > 0 ? { leaveOut } : {}) };
});
export type NameForm = z.output<typeof nameForm>;

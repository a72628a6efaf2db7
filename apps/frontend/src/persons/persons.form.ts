import { imagePath, personName } from '@visage/validation';
import { z } from 'zod';

/** "Add a person": the name rule of the receiver's `POST /persons`. */
export const newPersonForm = z.object({ name: personName });

/** "Same person as …": the person to keep, typed by name (the page's list of names). */
export const mergeForm = z.object({ into: personName });

/** "Enrol a face by path": the path rule of the receiver's `POST /persons/:id/faces`. */
export const enrolFaceForm = z.object({ path: imagePath });

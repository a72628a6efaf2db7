import { FaceBox } from '@visage/domain';
import { Column } from 'typeorm';

/**
 * A face's box as stored, in pixels of its image: the float columns `box_x`, `box_y`, `box_width`, `box_height`,
 * declared once for the faces and for the outcome events' face snapshots. Embed it as
 * `@Column(() => BoxColumns, { prefix: false })`: the columns keep their own names (a prefix would make them
 * `boxX`…, a schema change).
 */
export class BoxColumns implements FaceBox {
  @Column({ name: 'box_x', type: 'float' })
  x!: number;

  @Column({ name: 'box_y', type: 'float' })
  y!: number;

  @Column({ name: 'box_width', type: 'float' })
  width!: number;

  @Column({ name: 'box_height', type: 'float' })
  height!: number;
}

/** The domain box of an entity's box columns: a plain object, so a view never carries the embedded instance. */
export function toFaceBox(box: BoxColumns): FaceBox {
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}

/** A raw row's box columns, selected with {@link boxSelection}; a driver may give a float as text. */
export interface BoxRow {
  boxX: number | string;
  boxY: number | string;
  boxWidth: number | string;
  boxHeight: number | string;
}

/** The select list of the box columns of the faces aliased `alias`, as the {@link BoxRow} fields. */
export function boxSelection(alias: string): string[] {
  return [`${alias}.box_x AS boxX`, `${alias}.box_y AS boxY`, `${alias}.box_width AS boxWidth`, `${alias}.box_height AS boxHeight`];
}

/** The domain box of a raw row (a query not reading entities). */
export function faceBoxOfRow(row: BoxRow): FaceBox {
  return { x: Number(row.boxX), y: Number(row.boxY), width: Number(row.boxWidth), height: Number(row.boxHeight) };
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The one row (id 1) holding the gallery version: bumped in the same transaction as every change to the gallery. */
@Entity({ name: 'gallery_state' })
export class GalleryStateEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'int', default: 0 })
  version!: number;
}

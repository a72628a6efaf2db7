import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The one row (id 1) holding the gallery version: bumped in the same transaction as every change to the gallery. */
@Entity({ name: 'gallery_state' })
export class GalleryStateEntity {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'int', default: 0 })
  version!: number;

  /** gallery_changes is complete for every version after this one (the version current when it was created). */
  @Column({ name: 'changes_from', type: 'int', default: 0 })
  changesFrom!: number;
}

import { DescriptorRecipe } from '@visage/domain';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One enrolment added to or removed from the gallery by the change that made `version`, with its descriptor:
 * what lets the re-match job compare a face with only what changed since its version, not the whole gallery.
 */
@Entity({ name: 'gallery_changes' })
@Index('idx_gallery_changes_version', ['version'])
export class GalleryChangeEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'int' })
  version!: number;

  @Column({ name: 'person_image_id', type: 'int' })
  personImageId!: number;

  @Column({ name: 'person_id', type: 'int' })
  personId!: number;

  /** 128 little-endian float32 (512 bytes), as enrolled. */
  @Column({ type: 'blob' })
  descriptor!: Buffer;

  /** How the descriptor was computed (`mobilefacenet`, `chip-flip`, `crop`): only descriptors of one recipe are ever compared. */
  @Column({ name: 'descriptor_recipe', type: 'varchar', length: 16, default: 'crop' })
  descriptorRecipe!: DescriptorRecipe;

  @Column({ type: 'boolean' })
  removed!: boolean;
}

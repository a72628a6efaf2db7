import { Column, CreateDateColumn, Entity, Index, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { PersonImageEntity } from './person-image.entity';

@Entity({ name: 'persons' })
export class PersonEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index('uq_persons_name', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @OneToMany(() => PersonImageEntity, (personImage) => personImage.person)
  images?: PersonImageEntity[];
}

import {
  Column,
  CreateDateColumn,
  Entity,
  EntitySubscriberInterface,
  EventSubscriber,
  Index,
  InsertEvent,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateEvent,
} from 'typeorm';
import { personNameKey } from '../person-name';
import { PersonImageEntity } from './person-image.entity';

@Entity({ name: 'persons' })
export class PersonEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  /** {@link personNameKey} of `name`: unique, so names differing only in case are one person. Set by {@link PersonNameKeySubscriber}. */
  @Index('uq_persons_name_key', { unique: true })
  @Column({ name: 'name_key', type: 'varchar', length: 64 })
  nameKey!: string;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 6 })
  createdAt!: Date;

  @OneToMany(() => PersonImageEntity, (personImage) => personImage.person)
  images?: PersonImageEntity[];
}

/**
 * Keeps `name_key` in step with `name` on every TypeORM insert or update of a person (entity or plain object),
 * so no caller can forget it. Raw SQL that writes `persons.name` must set `name_key` itself.
 */
@EventSubscriber()
export class PersonNameKeySubscriber implements EntitySubscriberInterface<PersonEntity> {
  listenTo(): typeof PersonEntity {
    return PersonEntity;
  }

  beforeInsert(event: InsertEvent<PersonEntity>): void {
    if (typeof event.entity?.name === 'string') event.entity.nameKey = personNameKey(event.entity.name);
  }

  beforeUpdate(event: UpdateEvent<PersonEntity>): void {
    const entity = event.entity as Partial<PersonEntity> | undefined;
    if (typeof entity?.name === 'string') entity.nameKey = personNameKey(entity.name);
  }
}

import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { DatabaseConfig } from '@visage/config';

/** The real MariaDB of the test machine; override with TEST_MYSQL_URL. */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306/test';

export interface ScratchDatabase {
  url: string;
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** Creates a uniquely named MariaDB database for one test file and drops it afterwards. */
export async function createScratchMysqlDatabase(prefix = 'visage_test'): Promise<ScratchDatabase> {
  const admin = new URL(TEST_MYSQL_URL);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const connection = await mysql.createConnection({
    host: admin.hostname,
    port: Number(admin.port || 3306),
    user: decodeURIComponent(admin.username),
    password: decodeURIComponent(admin.password),
  });
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    config: {
      type: 'mysql',
      url: url.toString(),
      host: admin.hostname,
      port: Number(admin.port || 3306),
      username: decodeURIComponent(admin.username),
      password: decodeURIComponent(admin.password),
      database: name,
    },
    drop: async () => {
      const dropper = await mysql.createConnection({
        host: admin.hostname,
        port: Number(admin.port || 3306),
        user: decodeURIComponent(admin.username),
        password: decodeURIComponent(admin.password),
      });
      await dropper.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await dropper.end();
    },
  };
}

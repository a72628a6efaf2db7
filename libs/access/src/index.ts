export * from './access';
export * from './route-table';

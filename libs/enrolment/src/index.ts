export * from './known-face-name';
export * from './single-face';
export * from './enrolment.service';
export * from './known-faces.enroller';
export * from './enrolment.module';
export * from './dominant-face';

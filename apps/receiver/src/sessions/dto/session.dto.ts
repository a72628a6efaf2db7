import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class SessionDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: 4, description: 'The API key the session signed in with' }) keyId!: number;
  @ApiProperty({ description: 'Sign-in time' }) createdAt!: Date;
  @ApiProperty({ description: 'Last request (to the minute); the idle expiry counts from it' }) lastSeenAt!: Date;
  @ApiProperty({ description: 'Absolute end, whatever the activity' }) expiresAt!: Date;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'User-Agent at sign-in' }) userAgent!: string | null;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) items!: SessionDto[];
}

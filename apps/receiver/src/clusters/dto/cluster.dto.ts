import { ApiProperty } from '@nestjs/swagger';
import { ClusterFace } from '@visage/persistence';

export class ClusterFaceDto {
  @ApiProperty({ example: 41 }) faceId!: number;
  @ApiProperty({ example: 17 }) imageId!: number;
  @ApiProperty({ example: 'holiday/beach.jpg' }) path!: string;
  @ApiProperty({ example: { x: 10, y: 20, width: 64, height: 64 } }) box!: { x: number; y: number; width: number; height: number };
  @ApiProperty({ example: '/faces/41/crop' }) cropUrl!: string;
  @ApiProperty({ description: "Unlike the rest of its group: its root-mean-square distance to the group's other faces is beyond CLUSTER_THRESHOLD" })
  outlier!: boolean;
}

export class ClusterSummaryDto {
  @ApiProperty({ example: 41, description: 'Id of the group' }) id!: number;
  @ApiProperty({ example: 3, description: 'Faces in the group' }) size!: number;
  @ApiProperty({ example: 3, description: 'Distinct images its faces are in' }) imageCount!: number;
  @ApiProperty({ description: 'Ignored groups are not listed by GET /clusters' }) ignored!: boolean;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 0.41,
    description:
      'Root-mean-square euclidean distance between two of its faces: lower is more alike (GET /clusters lists the lowest first); null for a group of one face',
  })
  cohesion!: number | null;
  @ApiProperty({ example: 1, description: 'Faces marked as outliers (outlier: true)' }) outlierCount!: number;
  @ApiProperty({ type: [ClusterFaceDto], description: 'Up to four of its faces that are not outliers, oldest first' }) sampleFaces!: ClusterFaceDto[];
  @ApiProperty({ type: [ClusterFaceDto], description: 'Up to four of its outliers, oldest first: check these before naming the group' })
  outlierFaces!: ClusterFaceDto[];
}

export class ClusterPageDto {
  @ApiProperty({ type: [ClusterSummaryDto] }) items!: ClusterSummaryDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= for the next page; null on the last page' }) nextCursor!: string | null;
}

export class ClusterDetailDto extends ClusterSummaryDto {
  @ApiProperty({ type: [ClusterFaceDto], description: 'Its faces, oldest first (at most 500), outliers marked' }) faces!: ClusterFaceDto[];
}

export class ClusterNamedDto {
  @ApiProperty({ example: 41 }) clusterId!: number;
  @ApiProperty({ example: 3 }) personId!: number;
  @ApiProperty({ example: 'Ada Lovelace' }) personName!: string;
  @ApiProperty({ example: [41, 52, 60], description: 'Faces enrolled for the person (source review:<faceId>)' }) faceIds!: number[];
  @ApiProperty({ example: 12 }) galleryVersion!: number;
}

export function toClusterFaceDto(face: ClusterFace): ClusterFaceDto {
  return { ...face, cropUrl: `/faces/${face.faceId}/crop` };
}

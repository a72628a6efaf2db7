import { ApiProperty } from '@nestjs/swagger';
import { DESCRIPTOR_RECIPES, DescriptorRecipe } from '@visage/domain';

export class RecipeProgressDto {
  @ApiProperty({ description: 'Rows whose descriptor is of the configured recipe' }) done!: number;
  @ApiProperty({ description: 'Rows of another recipe waiting for the re-description job' }) waiting!: number;
  @ApiProperty({ description: 'Rows of another recipe that could not be re-described (image gone): never compared' }) failed!: number;
}

export class DescriptorProgressDto {
  @ApiProperty({ enum: DESCRIPTOR_RECIPES, description: 'FACE_DESCRIPTOR_RECIPE: the recipe compared' }) recipe!: DescriptorRecipe;
  @ApiProperty({ type: RecipeProgressDto }) enrolments!: RecipeProgressDto;
  @ApiProperty({ type: RecipeProgressDto }) faces!: RecipeProgressDto;
}

import { Injectable } from '@nestjs/common';
import { RedescriptionRepository } from '@visage/persistence';
import { presentRedescription, RedescriptionNoticeView } from './redescription.presenter';

/** How far the processor's re-description job has come, for the pages where identity matters (issue #22). */
@Injectable()
export class RedescriptionNoticeService {
  constructor(private readonly redescription: RedescriptionRepository) {}

  /** The line to show, or undefined when every stored descriptor has the configured recipe. */
  async notice(): Promise<RedescriptionNoticeView | undefined> {
    // Nearly always nothing is left: answered from the recipe index instead of counting every face per page.
    if (!(await this.redescription.anyOfAnotherRecipe())) return undefined;
    return presentRedescription(await this.redescription.progress());
  }
}

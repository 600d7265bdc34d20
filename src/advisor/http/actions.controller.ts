import { Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AdvisorRuntime } from '../advisor-runtime';
import { ApiTokenGuard } from './api-token.guard';
import { ADVISOR_RUNTIME } from './runtime-token';

/** What changes state: behind the bearer token. */
@ApiTags('actions')
@ApiBearerAuth()
@UseGuards(ApiTokenGuard)
@Controller('api')
export class ActionsController {
  constructor(@Inject(ADVISOR_RUNTIME) private readonly runtime: AdvisorRuntime) {}

  @Post('analyse')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'Analyses every node with new samples now, without waiting for its epoch: which it analysed, which it skipped and why',
  })
  analyse() {
    return this.runtime.core.analyseNow();
  }

  @Post('plan')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Runs the cluster planner now (only on the leader)' })
  async plan() {
    const moves = await this.runtime.planner.planIfLeader();
    return { leader: moves !== null, moves: moves ?? [] };
  }
}

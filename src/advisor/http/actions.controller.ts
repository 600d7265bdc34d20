import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdvisorCore } from '../ingest/advisor-core';
import { ClusterPlanner } from '../planner/cluster-planner';
import { ApiTokenGuard } from './api-token.guard';

/** What changes state: behind the bearer token. */
@ApiTags('actions')
@ApiBearerAuth()
@UseGuards(ApiTokenGuard)
@Controller('api')
export class ActionsController {
  constructor(
    private readonly core: AdvisorCore,
    private readonly planner: ClusterPlanner,
  ) {}

  @Post('analyse')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'Analyses every node with new samples now, without waiting for its epoch: which it analysed, which it skipped and why',
  })
  analyse() {
    return this.core.analyseNow();
  }

  @Post('plan')
  @HttpCode(200)
  @ApiOkResponse({ description: 'Runs the cluster planner now (only on the leader)' })
  async plan() {
    const moves = await this.planner.planIfLeader();
    return { leader: moves !== null, moves: moves ?? [] };
  }
}

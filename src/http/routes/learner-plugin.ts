/**
 * Everything the learner's browser talks to, as one plugin for app.ts: the built assets, the lab page
 * and the images of its instructions, the learner API, the instructors' class view and its API, the terminal / desktop gateway and (in demo mode)
 * the demo course page.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { gatewayRoutes } from '../../gateway/gateway-routes.ts';
import { staticAssets } from '../static.ts';
import { demoRoutes } from './demo.ts';
import { departureRoutes } from './departures.ts';
import { labFiles } from './lab-files.ts';
import { learnerApi } from './learner-api.ts';
import { learnerPage } from './learner-page.ts';
import { classApi } from './class-api.ts';
import { classBudget } from './class-budget.ts';
import { classPage } from './class-page.ts';

export function learnerRoutes(ctx: AppContext) {
  return async function learnerRoutesPlugin(app: FastifyInstance): Promise<void> {
    await app.register(staticAssets());
    await app.register(learnerPage(ctx));
    await app.register(labFiles(ctx));
    await app.register(learnerApi(ctx));
    await app.register(classPage(ctx));
    await app.register(classApi(ctx));
    await app.register(classBudget(ctx));
    await app.register(departureRoutes(ctx));
    await app.register(gatewayRoutes(ctx));
    await app.register(demoRoutes(ctx));
  };
}

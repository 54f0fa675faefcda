// The route table's entries, re-exported for the size scenario (every handler the cloud bundles).
import { expireFunction, httpRoutes, tickFunction, wsRoutes } from '../../functions/routes';

export { httpRoutes, wsRoutes };
export const backgroundFunctions = [tickFunction, expireFunction];

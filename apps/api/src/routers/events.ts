import { UnauthenticatedError } from '@atrium/domain/errors';
import { realtimeStream, ZEventsSubscribeInput } from '../realtime/index.ts';
import { authedProcedure, router } from '../trpc.ts';

/**
 * Realtime events over SSE (SPEC §2, docs/realtime.md). Clients use `httpSubscriptionLink` with the
 * access token in `connectionParams` (EventSource cannot send headers); events are `tracked`, so a
 * reconnecting client sends its last event id and gets what it missed from the replay buffer.
 */
export const eventsRouter = router({
  subscribe: authedProcedure.input(ZEventsSubscribeInput).subscription(({ ctx, input, signal }) => {
    const { services, credentials } = ctx;
    return realtimeStream({
      hub: services.realtime.hub,
      session: ctx.session,
      input,
      signal,
      revalidateMs: services.realtime.revalidateMs,
      onDelivered: () => services.realtime.delivered.inc(),
      // After the final (503) message, close the TCP connection rather than keep it alive: a client's
      // reconnect must reach a replica that is up, not this closing one over a reused socket.
      onServerClose: () => {
        const socket = ctx.req?.socket;
        ctx.res?.once('finish', () => socket?.end());
      },
      async revalidate() {
        const session = await services.authenticate(credentials);
        if (!session) throw new UnauthenticatedError();
        return session;
      },
    });
  }),
});

import {
  completeTodo,
  createTodo,
  deleteTodo,
  listTodos,
  reopenTodo,
  ZCreateTodoInput,
  ZListTodosInput,
  ZTodoIdInput,
} from '@atrium/domain/todos/todos';
import { authedProcedure, router } from '../trpc.ts';

/** Todos (SPEC §5): private to their owner. */
export const todosRouter = router({
  create: authedProcedure
    .input(ZCreateTodoInput)
    .mutation(({ ctx, input }) => createTodo({ db: ctx.services.db }, ctx.session, input)),
  list: authedProcedure
    .input(ZListTodosInput.optional())
    .query(({ ctx, input }) => listTodos({ db: ctx.services.db }, ctx.session, input ?? {})),
  complete: authedProcedure
    .input(ZTodoIdInput)
    .mutation(({ ctx, input }) => completeTodo({ db: ctx.services.db }, ctx.session, input)),
  reopen: authedProcedure
    .input(ZTodoIdInput)
    .mutation(({ ctx, input }) => reopenTodo({ db: ctx.services.db }, ctx.session, input)),
  delete: authedProcedure
    .input(ZTodoIdInput)
    .mutation(({ ctx, input }) => deleteTodo({ db: ctx.services.db }, ctx.session, input)),
});

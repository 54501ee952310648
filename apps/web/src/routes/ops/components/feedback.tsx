import { useState } from 'react';
import { useLocation } from 'react-router';
import { ResultNotice } from '../../../components/confirm-dialog.tsx';

/**
 * What an action did, shown at the top of the page until dismissed: "Job 1a2b… retried", "3 dead
 * letters redriven". A page that navigates after an action passes it on in the location state
 * (`navigate(to, { state: { feedback } })`), so the message survives the move.
 */
export function useFeedback() {
  const location = useLocation();
  const [state, setState] = useState<{ key: string; message: string | null }>({
    key: location.key,
    message: feedbackFromState(location.state),
  });
  // A navigation (to another job, another filter) starts with that location's message, if any.
  if (state.key !== location.key) setState({ key: location.key, message: feedbackFromState(location.state) });
  const message = state.key === location.key ? state.message : feedbackFromState(location.state);
  const setMessage = (next: string | null) => setState({ key: location.key, message: next });
  return { message, show: setMessage, dismiss: () => setMessage(null) };
}

export type Feedback = ReturnType<typeof useFeedback>;

function feedbackFromState(state: unknown): string | null {
  if (state && typeof state === 'object' && 'feedback' in state && typeof state.feedback === 'string') {
    return state.feedback;
  }
  return null;
}

export function FeedbackNotice({ feedback }: { feedback: Feedback }) {
  if (!feedback.message) return null;
  return <ResultNotice message={feedback.message} onDismiss={feedback.dismiss} />;
}

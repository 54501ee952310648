import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Dialog } from '../../components/confirm-dialog.tsx';
import { useCursorPages } from '../../components/cursor-pager.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Form } from '../../components/form.tsx';
import { TextField } from '../../components/form-field.tsx';
import { DataTable, ListPanel } from '../../components/list-panel.tsx';
import { fieldErrorsOf } from '../../lib/errors.ts';
import { api, type RouterOutputs, trpc } from '../../lib/trpc.ts';
import { SyncBadge, useWorkplaceLive } from './workplace-common.tsx';

type Room = RouterOutputs['workplace']['rooms']['list']['items'][number];

/** Workplace → Rooms: a meeting toggle with name, times and participants, page flips, a label preview. */
export function RoomsPage() {
  const queryClient = useQueryClient();
  const pages = useCursorPages('');
  const [meetingFor, setMeetingFor] = useState<Room | null>(null);
  const [creating, setCreating] = useState(false);
  useWorkplaceLive();
  const list = useQuery(api.workplace.rooms.list.queryOptions({ cursor: pages.cursor, limit: 25 }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: api.workplace.pathKey() });
  const endMeeting = useMutation({
    mutationFn: (id: string) => trpc.workplace.rooms.toggleMeeting.mutate({ id, hasMeeting: false }),
    onSuccess: () => void refresh(),
  });
  const flip = useMutation({
    mutationFn: (input: { id: string; page: number }) => trpc.workplace.rooms.flipPage.mutate(input),
    onSuccess: () => void refresh(),
  });

  return (
    <>
      <div className="form__actions">
        <button type="button" className="button" onClick={() => setCreating(true)}>
          New room
        </button>
      </div>
      {(endMeeting.isError || flip.isError) && (
        <ErrorMessage error={endMeeting.error ?? flip.error} title="Could not change the room" />
      )}
      <ListPanel
        query={list}
        errorTitle="Could not load the rooms"
        isEmpty={(data) => data.items.length === 0}
        empty={<p>No rooms yet. Use “New room” to add one.</p>}
        pager={{ label: 'rooms', pages }}
      >
        {(data) => (
          <DataTable
            label="Rooms"
            head={
              <>
                <th scope="col">Room</th>
                <th scope="col">What the label shows</th>
                <th scope="col">Page</th>
                <th scope="col">Label status</th>
                <th scope="col">Meeting</th>
              </>
            }
          >
            {data.items.map((room) => (
              <tr key={room.id} data-testid="room-row" data-external-id={room.externalId}>
                <th scope="row">
                  {room.roomName}
                  <span className="muted table__subline">
                    {room.externalId}
                    {room.labelCode ? ` · label ${room.labelCode}` : ''}
                  </span>
                </th>
                <td>
                  <LabelPreview room={room} />
                </td>
                <td>
                  <select
                    className="input"
                    aria-label={`Label page of ${room.roomName}`}
                    value={room.page}
                    onChange={(e) => flip.mutate({ id: room.id, page: Number(e.target.value) })}
                  >
                    {[1, 2, 3, 4, 5, 6, 7].map((page) => (
                      <option key={page} value={page}>
                        Page {page}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <SyncBadge status={room.syncStatus} error={room.syncError} />
                </td>
                <td>
                  {room.hasMeeting ? (
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => endMeeting.mutate(room.id)}
                    >
                      End meeting
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => setMeetingFor(room)}
                    >
                      Start meeting
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </ListPanel>
      {meetingFor && (
        <MeetingDialog room={meetingFor} onClose={() => setMeetingFor(null)} onDone={() => void refresh()} />
      )}
      {creating && <CreateRoomDialog onClose={() => setCreating(false)} onDone={() => void refresh()} />}
    </>
  );
}

/** The room's article as the label template receives it. */
function LabelPreview({ room }: { room: Room }) {
  return (
    <div className="label-preview" data-testid="label-preview">
      <strong>{room.roomName}</strong>
      {room.hasMeeting ? (
        <span className="table__subline">
          {room.meetingName} · {room.startTime}–{room.endTime}
          {room.participants.length > 0 ? ` · ${room.participants.join(', ')}` : ''}
        </span>
      ) : (
        <span className="muted table__subline">Free</span>
      )}
    </div>
  );
}

function MeetingDialog({ room, onClose, onDone }: { room: Room; onClose: () => void; onDone: () => void }) {
  const [meetingName, setMeetingName] = useState('');
  const [startTime, setStartTime] = useState('09:00');
  const [endTime, setEndTime] = useState('10:00');
  const [participants, setParticipants] = useState('');
  const start = useMutation({
    mutationFn: () =>
      trpc.workplace.rooms.toggleMeeting.mutate({
        id: room.id,
        hasMeeting: true,
        meetingName,
        startTime,
        endTime,
        participants: participants
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      }),
    onSuccess: () => {
      onDone();
      onClose();
    },
  });
  const errors = fieldErrorsOf(start.error);
  return (
    <Dialog open title={`Start a meeting in ${room.roomName}`} onClose={onClose}>
      <Form
        error={start.error}
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          start.mutate();
        }}
      >
        {start.isError && (
          <ErrorMessage
            error={start.error}
            title="Could not start the meeting"
            inlineFields={['meetingName', 'startTime', 'endTime']}
          />
        )}
        <TextField
          label="Meeting"
          required
          value={meetingName}
          onChange={(e) => setMeetingName(e.target.value)}
          errors={errors.meetingName}
        />
        <TextField
          label="Starts"
          type="time"
          required
          value={startTime}
          onChange={(e) => setStartTime(e.target.value)}
          errors={errors.startTime}
        />
        <TextField
          label="Ends"
          type="time"
          required
          value={endTime}
          onChange={(e) => setEndTime(e.target.value)}
          errors={errors.endTime}
        />
        <TextField
          label="Participants"
          hint="Names, separated by commas"
          value={participants}
          onChange={(e) => setParticipants(e.target.value)}
        />
        <div className="form__actions">
          <button type="submit" className="button" disabled={start.isPending}>
            Start meeting
          </button>
          <button type="button" className="button button--quiet" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Form>
    </Dialog>
  );
}

function CreateRoomDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [externalId, setExternalId] = useState('');
  const [roomName, setRoomName] = useState('');
  const [labelCode, setLabelCode] = useState('');
  const create = useMutation({
    mutationFn: () =>
      trpc.workplace.rooms.create.mutate({ externalId, roomName, labelCode: labelCode || null }),
    onSuccess: () => {
      onDone();
      onClose();
    },
  });
  const errors = fieldErrorsOf(create.error);
  return (
    <Dialog open title="New room" onClose={onClose}>
      <Form
        error={create.error}
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        {create.isError && (
          <ErrorMessage
            error={create.error}
            title="Could not add the room"
            inlineFields={['externalId', 'roomName', 'labelCode']}
          />
        )}
        <TextField
          label="Room id"
          hint="Its article in AIMS is C followed by this id."
          required
          value={externalId}
          onChange={(e) => setExternalId(e.target.value)}
          errors={errors.externalId}
        />
        <TextField
          label="Name"
          required
          value={roomName}
          onChange={(e) => setRoomName(e.target.value)}
          errors={errors.roomName}
        />
        <TextField
          label="Label code"
          hint="Optional, 12 hexadecimal characters."
          value={labelCode}
          onChange={(e) => setLabelCode(e.target.value)}
          errors={errors.labelCode}
        />
        <div className="form__actions">
          <button type="submit" className="button" disabled={create.isPending}>
            Add
          </button>
          <button type="button" className="button button--quiet" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Form>
    </Dialog>
  );
}

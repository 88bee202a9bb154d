/**
 * The `notes/:name` and `notes/` paths: write, read, delete and list notes.
 */
import { badRequest, definePath, nameSegment, notFound, OPTIONAL_TRAILING_SLASH, type PathDefinition, type FieldMap } from '@coffer/sdk';
import { deleteNote, getNote, listNotes, putNote } from './notes-store.js';

/** The largest note text accepted, in bytes of UTF-8. */
export const MAX_NOTE_BYTES = 64 * 1024;

function checkText(text: string): void {
  if (text === '') throw badRequest('missing required field "text" in a write to a note');
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_NOTE_BYTES) throw badRequest(`invalid field "text": ${size} bytes is more than the limit of ${MAX_NOTE_BYTES}; split the note`);
}

const notePath = definePath({
  pattern: `notes/${nameSegment('name')}`,
  fields: {
    name: { type: 'string', description: 'Name of the note.', required: true },
    text: { type: 'string', description: `Text of the note, at most ${MAX_NOTE_BYTES} bytes. Required on writes.` },
  },

  // Coffer calls this before every write. A write to a missing note is then
  // a `create`, which a policy can grant apart from `update`.
  existenceCheck: async (request, fields) => (await getNote(request.storage, fields.get('name'))) !== null,

  operations: {
    async create(request, fields) {
      checkText(fields.get('text'));
      await putNote(request.storage, fields.get('name'), { text: fields.get('text'), revision: 1 });
      return { data: { revision: 1 } };
    },

    async update(request, fields) {
      checkText(fields.get('text'));
      const existing = await getNote(request.storage, fields.get('name'));
      const revision = (existing?.revision ?? 0) + 1;
      await putNote(request.storage, fields.get('name'), { text: fields.get('text'), revision });
      return { data: { revision } };
    },

    async read(request, fields) {
      const note = await getNote(request.storage, fields.get('name'));
      if (note === null) throw notFound(`note "${fields.get('name')}" not found`);
      return { data: { text: note.text, revision: note.revision } };
    },

    async delete(request, fields) {
      await deleteNote(request.storage, fields.get('name'));
      return null;
    },
  },
  helpSynopsis: 'Write, read or delete a note.',
  helpDescription: 'A write stores the text and returns the new revision, which starts at 1. Deleting a missing note succeeds.',
});

const noteListPath = definePath({
  pattern: `notes${OPTIONAL_TRAILING_SLASH}`,
  fields: {},
  operations: {
    async list(request) {
      const keys = await listNotes(request.storage);
      // A null response to a list makes Coffer return 404 with no errors, as Vault does for an empty list.
      if (keys.length === 0) return null;
      return { data: { keys } };
    },
  },
  helpSynopsis: 'List the notes.',
  helpDescription: 'Returns the names of the stored notes, sorted.',
});

/** The note paths, in match order. */
export const notePaths: PathDefinition<FieldMap>[] = [notePath, noteListPath];

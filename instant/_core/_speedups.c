/* instant._core._speedups: the engine's common path in C (optional; see README "How it works").
 *
 * The pure-Python engine (state.py, machine.py, fastloop.py, parser.py) is the reference. This
 * module only makes its common path cheaper, by construction the same:
 *
 *   - Frame and Core are the storage. Core holds the hot attributes of a State as C struct
 *     fields, exposed to Python as member descriptors under the very names state.py uses
 *     (self._stack, self._state, ...), so the Python layers read and write them unchanged;
 *     State derives from Core when this module is present (and from object when not).
 *     Frame is state.Frame with the same fields.
 *   - Core.feed is Parser.feed for the common case: a str chunk, no bytes decoder, no
 *     max_size, no emit_start, no error or close() yet. It is the Python feed() translated:
 *     the in-string fast path, then _feed_text with the loop of fastloop.FastLoop._loop.
 *     Everything else is handed back to the Python code before anything changes:
 *       * the whole call, to Parser._feed_python (the Python feed) for any other case;
 *       * one step, to Machine._step (exactly where FastLoop falls back to it) for anything
 *         the C loop does not take: the root level (finding the document, prose, candidates,
 *         several documents), comments and every JSON5 leniency, single-quoted strings,
 *         escapes other than JSON's, control characters in strict mode, number hooks and
 *         numbers that fail to convert, limits, a container the bulk path may take, batched
 *         deltas of very long strings, and every error (the Python step raises it, with its
 *         position);
 *       * the rare decisions after the loop, to Parser._resume (after a Fail) and
 *         Parser._hold (an uncommitted candidate).
 *     The C loop takes a step only when it can complete it: it decides first, then changes.
 *   - What the C loop does take, it does as the Python code does it: FastLoop's inline steps,
 *     and Machine's _string, _key_string, _number, _literal and _close_container for the
 *     double-quoted, JSON-escaped, in-container case; State._where, _attach and _release
 *     (copy-on-write decided by reference counts: a container's own references are its
 *     frame's and its parent's slot, 2 in C where sys.getrefcount's calibration counts its
 *     own temporaries too).
 *
 * Nothing here imports instant: parser.py hands over what the C code needs (the signals, the
 * constants, key_segment) with configure(), once.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h> /* offsetof */
#include <string.h> /* memchr */

#if PY_VERSION_HEX >= 0x030C0000
#define M_OBJ Py_T_OBJECT_EX
#define M_BOOL Py_T_BOOL
#define M_SSIZE Py_T_PYSSIZET
#define M_READONLY Py_READONLY
#else
#include <structmember.h>
#define M_OBJ T_OBJECT_EX
#define M_BOOL T_BOOL
#define M_SSIZE T_PYSSIZET
#define M_READONLY READONLY
#endif

#if PY_VERSION_HEX < 0x030C0000
#define READY(s) PyUnicode_READY(s)
#else
#define READY(s) 0
#endif

/* parser states (state.py; checked by configure) */
enum {
    START, VALUE, KEY, COLON, AFTER, STRING, KEYSTR, NUMBER, WORD, BAREKEY, COMMENT, END,
    CLOSED, TAIL, PROSE, THINK
};
enum { DOC, TENT, SCALAR, NOTE };
#define SEGS_MAX 4096 /* State._where caches at most this many keys */

/* -- what configure() hands over ----------------------------------------------------------- */

static PyObject *Hold, *Fail, *NO_EVENTS, *key_segment, *RUN_STRICT, *RUN_DOUBLE;
static Py_ssize_t BUDGET = -1, MIN_LENGTH, LONG;
static int reliable_refcounts;
static int configured;

/* interned names and event templates */
static PyObject *s_key, *s_indexes, *s_path, *s_event, *s_delta, *s_value, *s_is_complete,
    *s_complete_value, *s_document, *s_done, *s_empty, *s_dquote, *s_pos, *s_dot, *s_items,
    *s_dot_items;
static PyObject *m_step, *m_after_value, *m_feed_python, *m_resume, *m_hold;
static PyObject *t_delta, *t_done, *t_delta_doc, *t_done_doc; /* event templates */

/* -- Frame ----------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    /* (what release() reads for every open container each chunk first, together) */
    PyObject *c; /* the dict or list being built */
    char obj, attached;
    char linked; /* the parent's spare holds this spare (both set by one release()) */
    /* copy-on-write's spare (see release()): the version of `c` the consumer was last handed,
       and what changed in `c` since (object members by key, array items from `dfrom` on) */
    PyObject *spare;
    PyObject *dkeys; /* a list, kept for the frame's life: its first ndk items */
    Py_ssize_t ndk;
    PyObject *last; /* its last item (borrowed), NULL when ndk is 0: no need to look */
    Py_ssize_t dfrom;
    PyObject *name;
    PyObject *key, *path, *idx, *ckey;
} FrameObject;

/* -- typed fields ------------------------------------------------------------------------------ */

/* The fields the C code reads with unchecked macros (the State's and a Frame's) have their types
   enforced when they are set (from Python: only a caller writing private attributes could try
   otherwise, and gets a TypeError), so feed() trusts them without looking: looking costs a
   cache miss per field in a server where a thousand parsers take turns. */
enum { T_LIST, T_STR, T_TUPLE, T_DICT, T_DICT_OR_NONE, T_CONTAINER };

typedef struct {
    const char *name;
    int type;
    Py_ssize_t offset;
    const char *owner; /* for the message: "the parser's", "a frame's" */
} TypedField;

/* T_CONTAINER: a frame's `c`, a dict if `obj` else a list */
static int
typed_ok(int type, PyObject *v, int obj)
{
    switch (type) {
    case T_LIST:
        return PyList_CheckExact(v);
    case T_STR:
        return PyUnicode_CheckExact(v) && READY(v) == 0;
    case T_TUPLE:
        return PyTuple_CheckExact(v);
    case T_DICT:
        return PyDict_CheckExact(v);
    case T_DICT_OR_NONE:
        return v == Py_None || PyDict_CheckExact(v);
    default:
        return obj ? PyDict_CheckExact(v) : PyList_CheckExact(v);
    }
}

static PyObject *
typed_get(PyObject *self, void *closure)
{
    return Py_NewRef(*(PyObject **)((char *)self + ((TypedField *)closure)->offset));
}

static int frame_is_obj(PyObject *self);

static int
typed_set(PyObject *self, PyObject *value, void *closure)
{
    static const char *names[] = {"a list", "a str", "a tuple", "a dict", "a dict or None"};
    TypedField *t = (TypedField *)closure;
    int obj = t->type == T_CONTAINER && frame_is_obj(self);
    if (value == NULL || !typed_ok(t->type, value, obj)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "instant: %s %s must be %s, not %s", t->owner, t->name,
                         t->type == T_CONTAINER ? (obj ? "a dict" : "a list") : names[t->type],
                         value == NULL ? "deleted" : Py_TYPE(value)->tp_name);
        return -1;
    }
    PyObject **slot = (PyObject **)((char *)self + t->offset);
    PyObject *old = *slot;
    *slot = Py_NewRef(value);
    Py_XDECREF(old);
    return 0;
}

/* a getset table (`out`, one entry more than `fields`) for a table of typed fields */
static void
typed_getset(PyGetSetDef *out, TypedField *fields)
{
    for (size_t i = 0; fields[i].name; i++) {
        out[i].name = fields[i].name;
        out[i].get = typed_get;
        out[i].set = typed_set;
        out[i].closure = &fields[i];
    }
}

/* a new frame: no spare, nothing noted */
static inline void
no_spare(FrameObject *f)
{
    f->spare = NULL;
    f->linked = 0;
    f->dkeys = NULL;
    f->ndk = 0;
    f->last = NULL;
    f->dfrom = PY_SSIZE_T_MAX;
}

static void
drop_spare(FrameObject *f)
{
    Py_CLEAR(f->spare);
    f->linked = 0;
    f->ndk = 0; /* (the list's items are overwritten by the next notes) */
    f->last = NULL;
    f->dfrom = PY_SSIZE_T_MAX;
}

/* `c` is about to change at member `key` (an object) or at its item `back` from the end (an
   array: 0 appends, 1 replaces the last): note it for the spare, which then lags behind by
   that change */
static inline void
note_change(FrameObject *f, PyObject *key, Py_ssize_t back)
{
    if (f->spare == NULL)
        return;
    if (!f->obj) {
        Py_ssize_t i = PyList_GET_SIZE(f->c) - back;
        if (i < f->dfrom)
            f->dfrom = i < 0 ? 0 : i;
        return;
    }
    if (f->last == key)
        return; /* the same member again (a string growing): the common case */
    PyObject *keys = f->dkeys;
    Py_ssize_t n = f->ndk;
    /* more to replay than the object holds: the next copy is a whole one */
    if (n > PyDict_GET_SIZE(f->c) + 8)
        goto drop;
    if (keys == NULL && (keys = f->dkeys = PyList_New(0)) == NULL)
        goto drop;
    if (n < PyList_GET_SIZE(keys)) {
        PyList_SetItem(keys, n, Py_NewRef(key));
        f->ndk++;
        f->last = key;
        return;
    }
    if (PyList_Append(keys, key) == 0) {
        f->ndk++;
        f->last = key;
        return;
    }
drop:
    PyErr_Clear(); /* (no memory for a note: the spare goes, which is always safe) */
    drop_spare(f);
}

static PyTypeObject FrameType;

static PyObject *
frame_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *c, *key, *path, *idx, *ckey;
    int obj, attached;
    static char *names[] = {"c", "obj", "key", "path", "idx", "ckey", "attached", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OpOOOOp:Frame", names, &c, &obj, &key, &path,
                                     &idx, &ckey, &attached))
        return NULL;
    if (!typed_ok(T_CONTAINER, c, obj) || !typed_ok(T_STR, key, 0) ||
        !typed_ok(T_TUPLE, path, 0) || !typed_ok(T_LIST, idx, 0) || !typed_ok(T_STR, ckey, 0)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "Frame(c: dict if obj else list, obj, key: str, "
                                             "path: tuple, idx: list, ckey: str, attached)");
        return NULL;
    }
    FrameObject *f = (FrameObject *)type->tp_alloc(type, 0);
    if (f == NULL)
        return NULL;
    f->c = Py_NewRef(c);
    f->key = Py_NewRef(key);
    f->path = Py_NewRef(path);
    f->idx = Py_NewRef(idx);
    f->ckey = Py_NewRef(ckey);
    f->name = Py_NewRef(s_empty);
    f->obj = (char)obj;
    f->attached = (char)attached;
    no_spare(f);
    return (PyObject *)f;
}

/* a frame made by the C loop: references stolen */
static FrameObject *
frame_make(PyObject *c, int obj, PyObject *key, PyObject *path, PyObject *idx, PyObject *ckey)
{
    FrameObject *f = PyObject_GC_New(FrameObject, &FrameType);
    if (f == NULL) {
        Py_DECREF(c);
        Py_DECREF(key);
        Py_DECREF(path);
        Py_DECREF(idx);
        Py_DECREF(ckey);
        return NULL;
    }
    f->c = c;
    f->key = key;
    f->path = path;
    f->idx = idx;
    f->ckey = ckey;
    f->name = Py_NewRef(s_empty);
    f->obj = (char)obj;
    f->attached = 0;
    no_spare(f);
    PyObject_GC_Track(f);
    return f;
}

static int
frame_traverse(FrameObject *f, visitproc visit, void *arg)
{
    Py_VISIT(f->c);
    Py_VISIT(f->key);
    Py_VISIT(f->path);
    Py_VISIT(f->idx);
    Py_VISIT(f->ckey);
    Py_VISIT(f->name);
    Py_VISIT(f->spare);
    Py_VISIT(f->dkeys);
    return 0;
}

static int
frame_clear(FrameObject *f)
{
    Py_CLEAR(f->c);
    Py_CLEAR(f->key);
    Py_CLEAR(f->path);
    Py_CLEAR(f->idx);
    Py_CLEAR(f->ckey);
    Py_CLEAR(f->name);
    drop_spare(f);
    Py_CLEAR(f->dkeys);
    return 0;
}

static void
frame_dealloc(FrameObject *f)
{
    PyObject_GC_UnTrack(f);
    frame_clear(f);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyMemberDef frame_members[] = {
    {"obj", M_BOOL, offsetof(FrameObject, obj), M_READONLY, "an object (else an array)"},
    {"attached", M_BOOL, offsetof(FrameObject, attached), 0, "in its parent yet"},
    {NULL},
};

static PyObject *
frame_spare(PyObject *self, void *closure)
{
    PyObject *s = ((FrameObject *)self)->spare;
    return Py_NewRef(s ? s : Py_None);
}

/* c: the dict or list being built; key: the container's Agently key; path, idx: its path and
   indexes; ckey: prefix of its members' keys; name: an object's member being parsed */
static TypedField frame_typed[] = {
#define FRAME_FIELD(name, type) {#name, type, offsetof(FrameObject, name), "a frame's"}
    FRAME_FIELD(c, T_CONTAINER), FRAME_FIELD(key, T_STR),  FRAME_FIELD(path, T_TUPLE),
    FRAME_FIELD(idx, T_LIST),    FRAME_FIELD(ckey, T_STR), FRAME_FIELD(name, T_STR),
#undef FRAME_FIELD
    {NULL},
};

/* the typed fields, then the spare (read-only) */
#define FRAME_TYPED (sizeof(frame_typed) / sizeof(frame_typed[0]) - 1)
static PyGetSetDef frame_getset[FRAME_TYPED + 2] = {
    [FRAME_TYPED] = {"spare", frame_spare, NULL, "the version of c the consumer was last handed",
                     NULL},
};

static int
frame_is_obj(PyObject *self)
{
    return ((FrameObject *)self)->obj;
}

static PyTypeObject FrameType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "instant._core._speedups.Frame",
    .tp_basicsize = sizeof(FrameObject),
    .tp_dealloc = (destructor)frame_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Frame(c, obj, key, path, idx, ckey, attached)\n--\n\n"
              "An open container on the stack (state.Frame, in C).",
    .tp_traverse = (traverseproc)frame_traverse,
    .tp_clear = (inquiry)frame_clear,
    .tp_members = frame_members,
    .tp_getset = frame_getset,
    .tp_new = frame_new,
};

/* -- Core: the State's storage ----------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    /* what feed()'s fast path and the start of every call read, together (in a server a
       thousand parsers take turns: each line of this struct is a cache miss a chunk) */
    char in_string, strict, snapshots, shared, committed, sattached, emit_start, multiple;
    Py_ssize_t base, recent_end, state;
    PyObject *text, *quote, *template_, *slot, *slot_key, *stack, *root, *sidx, *held_events;
    PyObject *held, *error, *decoder, *max_size, *events_now;
    /* max_depth and max_number_length as C numbers, and the objects they were read from */
    PyObject *max_depth, *max_number_length, *depth_of, *length_of;
    Py_ssize_t limits[2];
    /* options */
    PyObject *parse_float, *parse_int;
    PyObject *literals, *segs, *on_ignored;
    Py_ssize_t bulk_budget;
    /* stream position */
    Py_ssize_t lines, last_nl;
    PyObject *recent;
    /* the machine */
    char closer_ok;
    Py_ssize_t doc;
    /* the document */
    char has_root;
    Py_ssize_t kind, cand_idx;
    PyObject *tail;
    Py_ssize_t tail_len;
    PyObject *runre, *skey, *spath, *num;
    Py_ssize_t nst, num_start;
    PyObject *word, *keytext;
    /* the excerpt tail as the C code keeps it (see recent_add): while `rmine`, rbuf[:rlen] is
       _recent and the `recent` object is out of date (made again when Python reads it) */
    char rmine;
    Py_ssize_t rlen;
    Py_UCS4 rbuf[60];
} CoreObject;

#define CORE_OBJECTS(X)                                                                      \
    X(max_depth) X(max_number_length) X(max_size) X(parse_float) X(parse_int) X(literals)   \
    X(segs) X(on_ignored) X(template_) X(slot) X(slot_key) X(recent) X(held) X(decoder)     \
    X(error) X(events_now) X(stack) X(root) X(held_events) X(text) X(tail) X(quote) X(runre) \
    X(skey) X(sidx) X(spath) X(num) X(word) X(keytext) X(depth_of) X(length_of)

static int core_typed_init(CoreObject *self);

static PyObject *
core_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    CoreObject *self = (CoreObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
#define INIT(f) self->f = Py_NewRef(Py_None);
    CORE_OBJECTS(INIT)
#undef INIT
    if (core_typed_init(self)) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
core_traverse(CoreObject *self, visitproc visit, void *arg)
{
#define VISIT(f) Py_VISIT(self->f);
    CORE_OBJECTS(VISIT)
#undef VISIT
    return 0;
}

static int
core_clear(CoreObject *self)
{
#define CLEAR(f) Py_CLEAR(self->f);
    CORE_OBJECTS(CLEAR)
#undef CLEAR
    return 0;
}

static void
core_dealloc(CoreObject *self)
{
    PyObject_GC_UnTrack(self);
    core_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

#define OBJ(name, field) {name, M_OBJ, offsetof(CoreObject, field), 0, NULL}
#define BOOL(name, field) {name, M_BOOL, offsetof(CoreObject, field), 0, NULL}
#define SSIZE(name, field) {name, M_SSIZE, offsetof(CoreObject, field), 0, NULL}

static PyMemberDef core_members[] = {
    BOOL("strict", strict),
    BOOL("multiple", multiple),
    BOOL("emit_start", emit_start),
    BOOL("snapshots", snapshots),
    OBJ("max_depth", max_depth),
    OBJ("max_number_length", max_number_length),
    OBJ("max_size", max_size),
    OBJ("_parse_float", parse_float),
    OBJ("_parse_int", parse_int),
    OBJ("_on_ignored", on_ignored),
    SSIZE("_bulk_budget", bulk_budget),
    BOOL("_in_string", in_string),
    OBJ("_slot", slot),
    OBJ("_slot_key", slot_key),
    SSIZE("_base", base),
    SSIZE("_lines", lines),
    SSIZE("_last_nl", last_nl),
    SSIZE("_recent_end", recent_end),
    OBJ("_decoder", decoder),
    OBJ("_error", error),
    SSIZE("_state", state),
    BOOL("_closer_ok", closer_ok),
    SSIZE("_doc", doc),
    OBJ("_root", root),
    BOOL("_has_root", has_root),
    BOOL("_committed", committed),
    SSIZE("_kind", kind),
    SSIZE("_cand_idx", cand_idx),
    BOOL("_shared", shared),
    SSIZE("_tail_len", tail_len),
    BOOL("_sattached", sattached),
    OBJ("_runre", runre),
    SSIZE("_nst", nst),
    SSIZE("_num_start", num_start),
    {NULL},
};

/* -- small helpers ---------------------------------------------------------------------------- */

/* replace an object field (steals `value`) */
#define SET(field, value)                                                                    \
    do {                                                                                     \
        PyObject *_old = (field);                                                            \
        (field) = (value);                                                                   \
        Py_XDECREF(_old);                                                                    \
    } while (0)

static TypedField core_typed[] = {
#define CORE_FIELD(name, type, field) {name, type, offsetof(CoreObject, field), "the parser's"}
    CORE_FIELD("_literals", T_DICT, literals),
    CORE_FIELD("_segs", T_DICT, segs),
    CORE_FIELD("_template", T_DICT_OR_NONE, template_),
    CORE_FIELD("_held", T_STR, held),
    CORE_FIELD("_events_now", T_LIST, events_now),
    CORE_FIELD("_stack", T_LIST, stack),
    CORE_FIELD("_held_events", T_LIST, held_events),
    CORE_FIELD("_text", T_STR, text),
    CORE_FIELD("_tail", T_LIST, tail),
    CORE_FIELD("_quote", T_STR, quote),
    CORE_FIELD("_skey", T_STR, skey),
    CORE_FIELD("_sidx", T_LIST, sidx),
    CORE_FIELD("_spath", T_TUPLE, spath),
    CORE_FIELD("_num", T_STR, num),
    CORE_FIELD("_word", T_STR, word),
    CORE_FIELD("_keytext", T_STR, keytext),
#undef CORE_FIELD
    {NULL},
};

/* the typed fields start empty, of their types */
static int
core_typed_init(CoreObject *self)
{
    for (size_t i = 0; core_typed[i].name; i++) {
        PyObject *v;
        switch (core_typed[i].type) {
        case T_LIST:
            v = PyList_New(0);
            break;
        case T_STR:
            v = Py_NewRef(s_empty);
            break;
        case T_TUPLE:
            v = PyTuple_New(0);
            break;
        case T_DICT:
            v = PyDict_New();
            break;
        default:
            continue;
        }
        if (v == NULL)
            return -1;
        PyObject **slot = (PyObject **)((char *)self + core_typed[i].offset);
        SET(*slot, v);
    }
    return 0;
}

#define CORE_TYPED (sizeof(core_typed) / sizeof(core_typed[0]) - 1)
static PyGetSetDef core_getset[CORE_TYPED + 2]; /* the typed fields, _recent, the end */

static int
corrupt(const char *what)
{
    PyErr_Format(PyExc_SystemError, "instant: the parser's %s was replaced by something else",
                 what);
    return -1;
}

#define RD(i) PyUnicode_READ(kind, data, (i))

static inline int
is_ws(Py_UCS4 c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int
is_digit(Py_UCS4 c)
{
    return c >= '0' && c <= '9';
}

static inline int
is_hex(Py_UCS4 c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int
hex_value(Py_UCS4 c)
{
    return c <= '9' ? (int)(c - '0') : c <= 'F' ? (int)(c - 'A' + 10) : (int)(c - 'a' + 10);
}

static inline int
is_number_char(Py_UCS4 c) /* scanner.NUMBER_CHARS */
{
    return is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' ||
           c == 'x' || c == 'X';
}

static inline int
is_word_char(Py_UCS4 c) /* scanner.WORD: [A-Za-z0-9_] */
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

static inline int
is_dquote(PyObject *quote)
{
    return PyUnicode_GET_LENGTH(quote) == 1 && PyUnicode_READ_CHAR(quote, 0) == '"';
}

static inline Py_ssize_t
skip_ws(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos)
{
    while (pos < n && is_ws(RD(pos)))
        pos++;
    return pos;
}

/* scanner.RUN_STRICT / RUN_DOUBLE: the end of a run of characters other than '"' and '\\'
   (and, strict, the control characters) */
static Py_ssize_t
dq_run(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos, int strict)
{
    switch (kind) {
    case PyUnicode_1BYTE_KIND: {
        const Py_UCS1 *s = (const Py_UCS1 *)data;
        if (strict) {
            while (pos < n && s[pos] != '"' && s[pos] != '\\' && s[pos] >= 0x20)
                pos++;
        }
        else {
            while (pos < n && s[pos] != '"' && s[pos] != '\\')
                pos++;
        }
        return pos;
    }
    case PyUnicode_2BYTE_KIND: {
        const Py_UCS2 *s = (const Py_UCS2 *)data;
        while (pos < n && s[pos] != '"' && s[pos] != '\\' && !(strict && s[pos] < 0x20))
            pos++;
        return pos;
    }
    default: {
        const Py_UCS4 *s = (const Py_UCS4 *)data;
        while (pos < n && s[pos] != '"' && s[pos] != '\\' && !(strict && s[pos] < 0x20))
            pos++;
        return pos;
    }
    }
}

/* a + b, as PyUnicode_Concat makes it, for the common case of two strings of one kind without
   its general machinery (a str's kind is the narrowest that holds its characters, so the
   result's is theirs, and ASCII only when both are) */
static PyObject *
str_concat(PyObject *a, PyObject *b)
{
    Py_ssize_t na = PyUnicode_GET_LENGTH(a), nb = PyUnicode_GET_LENGTH(b);
    int kind = PyUnicode_KIND(a);
    if (na == 0 || nb == 0 || kind != (int)PyUnicode_KIND(b) || na > PY_SSIZE_T_MAX / 4 - nb)
        return PyUnicode_Concat(a, b);
    Py_UCS4 maxchar = kind == PyUnicode_1BYTE_KIND
                          ? (PyUnicode_IS_ASCII(a) && PyUnicode_IS_ASCII(b) ? 0x7F : 0xFF)
                          : kind == PyUnicode_2BYTE_KIND ? 0xFFFF : 0x10FFFF;
    PyObject *s = PyUnicode_New(na + nb, maxchar);
    if (s == NULL)
        return NULL;
    char *out = PyUnicode_DATA(s);
    memcpy(out, PyUnicode_DATA(a), (size_t)(na * kind));
    memcpy(out + na * kind, PyUnicode_DATA(b), (size_t)(nb * kind));
    return s;
}

static PyObject *
list_copy(PyObject *list)
{
    return PyList_GetSlice(list, 0, PyList_GET_SIZE(list));
}

/* idx + [i] */
static PyObject *
list_plus(PyObject *idx, Py_ssize_t i)
{
    Py_ssize_t n = PyList_GET_SIZE(idx);
    PyObject *item = PyLong_FromSsize_t(i);
    if (item == NULL)
        return NULL;
    PyObject *out = PyList_New(n + 1);
    if (out == NULL) {
        Py_DECREF(item);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        PyList_SET_ITEM(out, k, Py_NewRef(PyList_GET_ITEM(idx, k)));
    PyList_SET_ITEM(out, n, item);
    return out;
}

/* path + (item,), item stolen */
static PyObject *
tuple_plus(PyObject *path, PyObject *item)
{
    if (item == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(path);
    PyObject *out = PyTuple_New(n + 1);
    if (out == NULL) {
        Py_DECREF(item);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        PyTuple_SET_ITEM(out, k, Py_NewRef(PyTuple_GET_ITEM(path, k)));
    PyTuple_SET_ITEM(out, n, item);
    return out;
}

static int
truthy(PyObject *o)
{
    if (o == Py_None || o == Py_False)
        return 0;
    if (o == Py_True)
        return 1;
    return PyObject_IsTrue(o);
}

/* an option that must be an int: its value, PY_SSIZE_T_MAX when larger */
static Py_ssize_t
as_limit(PyObject *o)
{
    if (!PyLong_Check(o))
        return -2;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow > 0 || v > PY_SSIZE_T_MAX)
        return PY_SSIZE_T_MAX;
    if (overflow < 0 || v < 0)
        return -2;
    return (Py_ssize_t)v;
}

/* -- the state's invariants ------------------------------------------------------------------- */

/* The State's fields the C code reads with unchecked macros are typed when set (core_typed), a
   frame's too (frame_getset); what Python code can still put on the stack list is checked to
   be a frame whenever the C code takes one (a SystemError rather than a crash). */
static inline FrameObject *
valid_frame(PyObject *item)
{
    if (Py_IS_TYPE(item, &FrameType))
        return (FrameObject *)item;
    corrupt("_stack");
    return NULL;
}

/* stack[i], checked (NULL: an error is set) */
#define FRAME(stack, i) valid_frame(PyList_GET_ITEM((stack), (i)))
#define TOP(stack) FRAME((stack), PyList_GET_SIZE(stack) - 1)

/* -- events ---------------------------------------------------------------------------------- */

/* Append an event: key, indexes (stolen), path, the kind (done or delta), delta, value; its
   complete_value is the document now, and with multiple=True its document number. */
static int
emit(CoreObject *self, PyObject *events, int done, PyObject *key, PyObject *indexes,
     PyObject *path, PyObject *delta, PyObject *value)
{
    if (indexes == NULL)
        return -1;
    PyObject *tmpl = self->multiple ? (done ? t_done_doc : t_delta_doc) : (done ? t_done : t_delta);
    PyObject *ev = PyDict_Copy(tmpl);
    if (ev == NULL) {
        Py_DECREF(indexes);
        return -1;
    }
    int bad = PyDict_SetItem(ev, s_key, key) || PyDict_SetItem(ev, s_indexes, indexes) ||
              PyDict_SetItem(ev, s_path, path) || PyDict_SetItem(ev, s_delta, delta) ||
              PyDict_SetItem(ev, s_value, value) ||
              PyDict_SetItem(ev, s_complete_value, self->root);
    Py_DECREF(indexes);
    if (!bad && self->multiple) {
        PyObject *doc = PyLong_FromSsize_t(self->doc);
        bad = doc == NULL || PyDict_SetItem(ev, s_document, doc);
        Py_XDECREF(doc);
    }
    if (bad || PyList_Append(events, ev)) {
        Py_DECREF(ev);
        return -1;
    }
    Py_DECREF(ev);
    return 0;
}

/* -- the document: State._release, _attach, _where -------------------------------------------- */

static PyObject *
container_copy(FrameObject *f)
{
    return f->obj ? PyDict_Copy(f->c) : list_copy(f->c);
}

/* event["complete_value"] of one of this call's events (they are ours: dicts) */
static PyObject *
complete_value_of(PyObject *e)
{
    if (!PyDict_CheckExact(e)) {
        corrupt("events");
        return NULL;
    }
    PyObject *v = PyDict_GetItemWithError(e, s_complete_value);
    if (v == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_SystemError, "instant: an event lost its complete_value");
    return v;
}

enum { REUSE = 1, LINKED = 2 };
#define REUSE_DEPTH 64

/* put a container's new version where its old one was: in its parent, or as the root */
static int
put_version(CoreObject *self, FrameObject *parent, PyObject *fresh)
{
    if (parent == NULL) {
        SET(self->root, Py_NewRef(fresh));
        return 0;
    }
    if (parent->obj)
        return PyDict_SetItem(parent->c, parent->name, fresh);
    Py_ssize_t last = PyList_GET_SIZE(parent->c) - 1;
    if (last < 0)
        return corrupt("_stack");
    PyList_SetItem(parent->c, last, Py_NewRef(fresh));
    return 0;
}

/* whether the change notes of `parent` cover the member that holds its child */
static int
member_noted(FrameObject *parent)
{
    if (!parent->obj)
        return parent->dfrom <= PyList_GET_SIZE(parent->c) - 1;
    PyObject *keys = parent->dkeys;
    Py_ssize_t n = parent->ndk;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *key = PyList_GET_ITEM(keys, k);
        if (key == parent->name || PyUnicode_Compare(key, parent->name) == 0)
            return 1;
    }
    return 0;
}

/* bring a spare up to date with its frame's container: replay what changed since (but for
   member `skip`, which the caller sets next) */
static int
replay(FrameObject *f, PyObject *spare, PyObject *skip)
{
    PyObject *c = f->c;
    if (f->obj) {
        PyObject *keys = f->dkeys;
        Py_ssize_t n = f->ndk;
        if (n == 1 && f->last == skip)
            return 0; /* (without reading the list) */
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *key = PyList_GET_ITEM(keys, k);
            if (key == skip)
                continue;
            PyObject *v = PyDict_GetItemWithError(c, key);
            if (v == NULL) {
                if (PyErr_Occurred())
                    return -1;
                continue;
            }
            if (PyDict_SetItem(spare, key, v))
                return -1;
        }
        return 0;
    }
    Py_ssize_t n = PyList_GET_SIZE(c), m = PyList_GET_SIZE(spare);
    for (Py_ssize_t i = f->dfrom; i < n; i++) {
        PyObject *v = Py_NewRef(PyList_GET_ITEM(c, i));
        if (i < m)
            PyList_SetItem(spare, i, v);
        else {
            int bad = PyList_Append(spare, v);
            Py_DECREF(v);
            if (bad)
                return -1;
        }
    }
    return 0;
}

/* State._release: copy-on-write, decided once per call (see its docstring). No C local may
   hold a strong reference to an open container while the counts are read.

   The C engine keeps, for each open container it had to copy, the version the consumer was
   handed (the frame's `spare`) and notes what changes in the container afterwards. When the
   consumer has let go of that version by the next copy (the plain `for event in feed(chunk)`
   loop holds only the last call's events), the spare is brought up to date by replaying those
   few changes instead of copying the whole container again, and the two swap places: a call
   costs what changed in it, not the width of the open containers. A spare anybody else still
   holds (its reference count says so, as for the document itself) is never touched. */
static int
release_for(CoreObject *self, PyObject *skip_in, PyObject *skip_key)
{
    self->shared = 0;
    PyObject *stack = self->stack;
    Py_ssize_t n = PyList_GET_SIZE(stack), j = 0;
    FrameObject *parent = NULL;
    if (reliable_refcounts) { /* (otherwise every open container is copied: j = 0) */
        /* the parser's own references: the frame's, and its parent's slot (the root's:
           self._root, and each of this call's events that holds it) */
        Py_ssize_t own = 2;
        PyObject *events = self->events_now;
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(events); k++) {
            PyObject *cv = complete_value_of(PyList_GET_ITEM(events, k));
            if (cv == NULL)
                return -1;
            if (cv == self->root)
                own++;
        }
        for (j = 0; j < n; j++) {
            FrameObject *f = FRAME(stack, j);
            if (f == NULL)
                return -1;
            if (!f->attached)
                return 0; /* nothing from here down is in the document yet */
            if (Py_REFCNT(f->c) > own + (self->slot == f->c))
                break; /* held elsewhere: copy it, and every open container below it */
            own = 2;
            parent = f;
        }
        if (j == n)
            return 0; /* nobody else holds any of them: change them in place */
    }
    /* the spares above the copy are not swapped: they would fall behind, drop them */
    for (Py_ssize_t d = 0; d < j; d++) {
        FrameObject *g = FRAME(stack, d);
        if (g == NULL)
            return -1;
        drop_spare(g);
    }
    /* which spares nobody else holds (decided before any of them changes): the frame's
       reference, and the spare parent's member if that spare is reusable too */
    Py_ssize_t end = j;
    while (end < n) {
        FrameObject *g = FRAME(stack, end);
        if (g == NULL)
            return -1;
        if (!g->attached)
            break;
        end++;
    }
    /* reuse[k] for the frame at depth j + k: REUSE, its spare nobody else holds; LINKED, and the
       spare parent's member holds that spare, and keeps it (the replay does not touch it).
       Deeper than REUSE_DEPTH below j, spares are not reused (copied, as without spares). */
    char reuse[REUSE_DEPTH];
    for (Py_ssize_t d = j; d < end && d - j < REUSE_DEPTH; d++) {
        FrameObject *g = (FrameObject *)PyList_GET_ITEM(stack, d);
        char ok = 0;
        if (g->spare != NULL) { /* (only with reliable counts) */
            Py_ssize_t expect = 1;
            char linked = 0;
            if (d > j && (reuse[d - j - 1] & REUSE) && g->linked) {
                /* the parent's spare, which nobody else holds, holds this one */
                expect++;
                linked = !member_noted((FrameObject *)PyList_GET_ITEM(stack, d - 1));
            }
            if (Py_REFCNT(g->spare) == expect &&
                (g->obj || PyList_GET_SIZE(g->spare) <= PyList_GET_SIZE(g->c)))
                ok = REUSE | (linked ? LINKED : 0);
        }
        reuse[d - j] = ok;
    }
    PyObject *old = Py_NewRef(self->root);
    for (Py_ssize_t d = j; d < end; d++) {
        FrameObject *f = (FrameObject *)PyList_GET_ITEM(stack, d);
        PyObject *fresh; /* the container's next version, the one the parser changes */
        char how = d - j < REUSE_DEPTH ? reuse[d - j] : 0;
        if (how & REUSE) {
            fresh = f->spare;
            f->spare = NULL;
            /* the caller sets member skip_key of container skip_in (an object) right after:
               no use copying its old value into the spare first */
            if (replay(f, fresh, f->c == skip_in ? skip_key : NULL)) {
                Py_DECREF(fresh);
                goto error;
            }
        }
        else {
            fresh = container_copy(f);
            if (fresh == NULL)
                goto error;
        }
        /* the version the consumer holds becomes the spare, with no change noted yet */
        drop_spare(f);
        if (reliable_refcounts) {
            f->spare = Py_NewRef(f->c);
            f->linked = d > j; /* the parent's spare is the parent's version just handed out */
        }
        if (self->slot == f->c) /* the fast path writes to the new version */
            SET(self->slot, Py_NewRef(fresh));
        SET(f->c, fresh);
        if (!(how & LINKED) && put_version(self, parent, fresh)) /* (LINKED: the parent holds it) */
            goto error;
        parent = f;
    }
    if (self->root != old) {
        PyObject *events = self->events_now;
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(events); k++) {
            PyObject *e = PyList_GET_ITEM(events, k);
            PyObject *cv = complete_value_of(e);
            if (cv == NULL)
                goto error;
            if (cv == old && PyDict_SetItem(e, s_complete_value, self->root))
                goto error;
        }
    }
    Py_DECREF(old);
    return 0;
error:
    Py_DECREF(old);
    return -1;
}

static int
release(CoreObject *self)
{
    return release_for(self, NULL, NULL);
}

/* before Python code changes the document (call_python) */
static void
drop_spares(CoreObject *self)
{
    PyObject *stack = self->stack;
    for (Py_ssize_t d = 0; d < PyList_GET_SIZE(stack); d++) {
        PyObject *g = PyList_GET_ITEM(stack, d);
        if (Py_IS_TYPE(g, &FrameType))
            drop_spare((FrameObject *)g);
    }
}

/* self.<name>(*args[1:nargs]) with args[0] scratch and args[1] the parser: every call from the C
   code into the Python engine goes through here, since the Python code changes the document
   without noting what it changes (no spare can be brought up to date after it) */
static PyObject *
call_python(CoreObject *self, PyObject *name, PyObject **args, size_t nargs)
{
    drop_spares(self);
    return PyObject_VectorcallMethod(name, args + 1, (nargs - 1) | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                     NULL);
}

/* State._attach: put the open containers no event has announced yet into their parents */
static int
attach(CoreObject *self)
{
    if (self->shared && release(self))
        return -1;
    PyObject *stack = self->stack;
    Py_ssize_t n = PyList_GET_SIZE(stack), i = n - 1;
    for (; i > 0; i--) {
        FrameObject *below = FRAME(stack, i - 1);
        if (below == NULL)
            return -1;
        if (below->attached)
            break;
    }
    if (i < 1)
        i = 1; /* the root never waits */
    for (Py_ssize_t j = i; j < n; j++) {
        FrameObject *f = FRAME(stack, j), *parent = FRAME(stack, j - 1);
        if (f == NULL || parent == NULL)
            return -1;
        note_change(parent, parent->name, 0);
        if (parent->obj ? PyDict_SetItem(parent->c, parent->name, f->c)
                        : PyList_Append(parent->c, f->c))
            return -1;
        f->attached = 1;
    }
    return 0;
}

/* State._where, for a value that begins in the top container (`top`): new references to its
   key, indexes (its own list) and path; for an object member, top.name becomes the one shared
   string for that key. */
static int
where(CoreObject *self, FrameObject *top, PyObject **key, PyObject **idx, PyObject **path)
{
    if (top->obj) {
        PyObject *entry = PyDict_GetItemWithError(self->segs, top->name);
        if (entry == NULL) {
            if (PyErr_Occurred())
                return -1;
            PyObject *seg = PyObject_CallOneArg(key_segment, top->name);
            if (seg == NULL)
                return -1;
            entry = PyTuple_Pack(2, top->name, seg);
            Py_DECREF(seg);
            if (entry == NULL)
                return -1;
            if (PyDict_GET_SIZE(self->segs) < SEGS_MAX &&
                PyDict_SetItem(self->segs, top->name, entry)) {
                Py_DECREF(entry);
                return -1;
            }
        }
        else {
            Py_INCREF(entry);
        }
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2 ||
            !PyUnicode_CheckExact(PyTuple_GET_ITEM(entry, 0)) ||
            !PyUnicode_CheckExact(PyTuple_GET_ITEM(entry, 1))) {
            Py_DECREF(entry);
            return corrupt("_segs");
        }
        PyObject *name = PyTuple_GET_ITEM(entry, 0);
        SET(top->name, Py_NewRef(name));
        *key = str_concat(top->ckey, PyTuple_GET_ITEM(entry, 1));
        *idx = list_copy(top->idx);
        *path = tuple_plus(top->path, Py_NewRef(name));
        Py_DECREF(entry);
    }
    else {
        *key = Py_NewRef(top->ckey);
        *idx = list_plus(top->idx, PyList_GET_SIZE(top->c));
        *path = tuple_plus(top->path, PyLong_FromSsize_t(PyList_GET_SIZE(top->c)));
    }
    if (*key == NULL || *idx == NULL || *path == NULL) {
        Py_CLEAR(*key);
        Py_CLEAR(*idx);
        Py_CLEAR(*path);
        return -1;
    }
    return 0;
}

/* Machine._put, in a container: insert a value that begins at the current position */
static int
put(CoreObject *self, FrameObject *top, PyObject *v)
{
    if (self->shared && release(self))
        return -1;
    if (!top->attached && attach(self))
        return -1;
    note_change(top, top->name, 0);
    return top->obj ? PyDict_SetItem(top->c, top->name, v) : PyList_Append(top->c, v);
}

/* Machine._set_string, in a container */
static int
set_string(CoreObject *self, FrameObject *top, PyObject *text)
{
    if (!self->sattached) {
        self->sattached = 1;
        return put(self, top, text);
    }
    if (self->shared && release_for(self, top->obj ? top->c : NULL, top->name))
        return -1;
    note_change(top, top->name, 1);
    if (top->obj)
        return PyDict_SetItem(top->c, top->name, text);
    Py_ssize_t last = PyList_GET_SIZE(top->c) - 1;
    if (last < 0)
        return corrupt("_stack");
    return PyList_SetItem(top->c, last, Py_NewRef(text));
}

/* Machine._scalar in a container: the value's done event (the state becomes AFTER) */
static int
scalar(CoreObject *self, FrameObject *top, PyObject *events, PyObject *v)
{
    PyObject *key, *idx, *path;
    if (where(self, top, &key, &idx, &path))
        return -1;
    int bad = put(self, top, v) || emit(self, events, 1, key, idx, path, v, v);
    Py_DECREF(key);
    Py_DECREF(path);
    return bad ? -1 : 0;
}

/* -- strings ------------------------------------------------------------------------------------ */

enum { S_CLOSED, S_MORE, S_OTHER };

/* scanner._LOW_PREFIX: what may still become the low half of a surrogate pair */
static int
low_prefix(int kind, const void *data, Py_ssize_t at, Py_ssize_t len)
{
    static const char *form = "\\ud";
    for (Py_ssize_t k = 0; k < len; k++) {
        Py_UCS4 c = RD(at + k);
        if (k < 2 ? c != (Py_UCS4)form[k]
                  : k == 2 ? !(c == 'd' || c == 'D')
                  : k == 3 ? !((c >= 'c' && c <= 'f') || (c >= 'C' && c <= 'F'))
                           : !is_hex(c))
            return 0;
    }
    return 1;
}

/* scanner.scan_string for a double-quoted string, for what the C path takes: S_CLOSED at the
   closing quote, S_MORE where the text must wait for the next chunk (at the end, or at an
   escape not complete yet); S_OTHER: a character or escape the Python step handles (a control
   character in strict mode, an escape other than JSON's, "\u" without four hex digits). */
static int
scan_dq(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos, int strict, Py_ssize_t *end,
        int *esc)
{
    *esc = 0;
    for (;;) {
        pos = dq_run(kind, data, n, pos, strict);
        *end = pos;
        if (pos >= n)
            return S_MORE;
        Py_UCS4 c = RD(pos);
        if (c == '"')
            return S_CLOSED;
        if (c != '\\')
            return S_OTHER;
        if (pos + 1 >= n)
            return S_MORE;
        Py_UCS4 e = RD(pos + 1);
        *esc = 1;
        if (e == 'u') {
            Py_ssize_t m = n - (pos + 2) < 4 ? n - (pos + 2) : 4;
            for (Py_ssize_t k = 0; k < m; k++)
                if (!is_hex(RD(pos + 2 + k)))
                    return S_OTHER;
            if (m < 4)
                return S_MORE;
            Py_UCS4 h0 = RD(pos + 2), h1 = RD(pos + 3);
            if ((h0 == 'd' || h0 == 'D') &&
                ((h1 >= '8' && h1 <= '9') || (h1 >= 'a' && h1 <= 'b') || (h1 >= 'A' && h1 <= 'B'))) {
                Py_ssize_t fl = n - (pos + 6) < 6 ? n - (pos + 6) : 6;
                if (fl < 6 && low_prefix(kind, data, pos + 6, fl))
                    return S_MORE; /* a low surrogate may still come */
            }
            pos += 6;
        }
        else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                 e == 'r' || e == 't') {
            pos += 2;
        }
        else {
            return S_OTHER;
        }
    }
}

static Py_UCS4
hex4(int kind, const void *data, Py_ssize_t at)
{
    return (Py_UCS4)((hex_value(RD(at)) << 12) | (hex_value(RD(at + 1)) << 8) |
                     (hex_value(RD(at + 2)) << 4) | hex_value(RD(at + 3)));
}

/* The text of buf[start:end], a body scan_dq accepted (JSON's escapes, each complete), decoded
   as scanner.decode does it -- json.decoder.scanstring(body + '"', 0, False): a high surrogate
   escape followed, within the body, by a low one joins it; a lone one stays lone. */
static PyObject *
decode(PyObject *buf, int kind, const void *data, Py_ssize_t start, Py_ssize_t end, int esc)
{
    if (!esc)
        return PyUnicode_Substring(buf, start, end);
    Py_UCS4 *out = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(end - start + 1));
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t o = 0, i = start;
    while (i < end) {
        Py_UCS4 c = RD(i);
        if (c != '\\') {
            out[o++] = c;
            i++;
            continue;
        }
        Py_UCS4 e = RD(i + 1);
        i += 2;
        switch (e) {
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
            c = hex4(kind, data, i);
            i += 4;
            if (c >= 0xD800 && c <= 0xDBFF && i + 6 <= end && RD(i) == '\\' && RD(i + 1) == 'u') {
                Py_UCS4 c2 = hex4(kind, data, i + 2);
                if (c2 >= 0xDC00 && c2 <= 0xDFFF) {
                    c = 0x10000 + (((c - 0xD800) << 10) | (c2 - 0xDC00));
                    i += 6;
                }
            }
            break;
        default: c = e; /* '"', '\\', '/' */
        }
        out[o++] = c;
    }
    PyObject *s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, o);
    PyMem_Free(out);
    return s;
}

/* -- numbers ------------------------------------------------------------------------------------ */

/* scanner.NUMBER: (-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)? matched at pos: its end
   (or -1), and whether it is an integer (the match's lastindex is 1) */
static Py_ssize_t
match_number(int kind, const void *data, Py_ssize_t n, Py_ssize_t pos, int *is_int)
{
    Py_ssize_t i = pos;
    if (i < n && RD(i) == '-')
        i++;
    if (i >= n || !is_digit(RD(i)))
        return -1;
    if (RD(i) == '0')
        i++;
    else
        while (i < n && is_digit(RD(i)))
            i++;
    *is_int = 1;
    if (i + 1 < n && RD(i) == '.' && is_digit(RD(i + 1))) {
        i += 2;
        while (i < n && is_digit(RD(i)))
            i++;
        *is_int = 0;
    }
    if (i < n && (RD(i) == 'e' || RD(i) == 'E')) {
        Py_ssize_t j = i + 1;
        if (j < n && (RD(j) == '+' || RD(j) == '-'))
            j++;
        if (j < n && is_digit(RD(j))) {
            while (j < n && is_digit(RD(j)))
                j++;
            i = j;
            *is_int = 0;
        }
    }
    return i;
}

enum { NUM_MORE, NUM_DONE, NUM_BAD };

/* scanner.scan_number: advance a number from state st (all of its states, JSON5's included) */
static int
scan_number(int kind, const void *data, Py_ssize_t n, Py_ssize_t *posp, Py_ssize_t *stp,
            int lenient)
{
    Py_ssize_t pos = *posp, st = *stp;
    int out = NUM_MORE;
    while (pos < n) {
        Py_UCS4 c = RD(pos);
        if (st == 3 || st == 5 || st == 8) {
            if (is_digit(c)) {
                while (pos < n && is_digit(RD(pos)))
                    pos++;
                continue;
            }
            if (st != 8 && (c == 'e' || c == 'E'))
                st = 6;
            else if (st == 3 && c == '.')
                st = 4;
            else {
                out = is_number_char(c) ? NUM_BAD : NUM_DONE;
                break;
            }
        }
        else if (st == 0 || st == 1) {
            if (c == '0')
                st = 2;
            else if (is_digit(c))
                st = 3;
            else if (st == 0 && (c == '-' || (c == '+' && lenient)))
                st = 1;
            else if (c == '.' && lenient)
                st = 9;
            else {
                out = NUM_BAD;
                break;
            }
        }
        else if (st == 2) {
            if (c == '.')
                st = 4;
            else if (c == 'e' || c == 'E')
                st = 6;
            else if ((c == 'x' || c == 'X') && lenient)
                st = 10;
            else {
                out = is_number_char(c) ? NUM_BAD : NUM_DONE;
                break;
            }
        }
        else if (st == 4 || st == 9) {
            if (is_digit(c))
                st = 5;
            else if (st == 4 && lenient && (c == 'e' || c == 'E'))
                st = 6;
            else if (st == 4 && lenient && !is_number_char(c)) {
                out = NUM_DONE;
                break;
            }
            else {
                out = NUM_BAD;
                break;
            }
        }
        else if (st == 6) {
            if (c == '+' || c == '-')
                st = 7;
            else if (is_digit(c))
                st = 8;
            else {
                out = NUM_BAD;
                break;
            }
        }
        else if (st == 7) {
            if (!is_digit(c)) {
                out = NUM_BAD;
                break;
            }
            st = 8;
        }
        else { /* 10, 11: hexadecimal */
            Py_ssize_t e = pos;
            while (e < n && is_hex(RD(e)))
                e++;
            if (e > pos) {
                st = 11;
                pos = e;
                continue;
            }
            out = (st == 10 || is_number_char(c)) ? NUM_BAD : NUM_DONE;
            break;
        }
        pos++;
    }
    *posp = pos;
    *stp = st;
    return out;
}

/* The value of a complete number's text, as Machine._convert makes it with the built-in int
   and float; NULL with no error set when the Python step must do it (a hook, or a failure). */
static PyObject *
convert(CoreObject *self, PyObject *text, int is_int)
{
    PyObject *v;
    if (is_int) {
        if (self->parse_int != (PyObject *)&PyLong_Type)
            return NULL;
        v = PyLong_FromUnicodeObject(text, 10);
    }
    else {
        if (self->parse_float != (PyObject *)&PyFloat_Type)
            return NULL;
        v = PyFloat_FromString(text);
    }
    if (v == NULL)
        PyErr_Clear(); /* the Python step raises the precise error */
    return v;
}

/* -- the loop ------------------------------------------------------------------------------------ */

typedef struct {
    PyObject *buf;
    int kind;
    const void *data;
    Py_ssize_t n;
    PyObject *events;
    int strict;
    Py_ssize_t max_depth, max_number_length;
} Ctx;

/* FastLoop's closer and Machine._close_container in a container: pop it, its done event */
static int
close_container(CoreObject *self, Ctx *x, int check_attached)
{
    PyObject *stack = self->stack;
    FrameObject *top = TOP(stack);
    if (top == NULL)
        return -1;
    if (check_attached && !top->attached && attach(self))
        return -1;
    Py_INCREF(top);
    if (PySequence_DelItem(stack, PyList_GET_SIZE(stack) - 1)) {
        Py_DECREF(top);
        return -1;
    }
    drop_spare(top);
    if (PyList_GET_SIZE(stack)) { /* the parent's member now holds the closed container */
        FrameObject *parent = TOP(stack);
        if (parent == NULL) {
            Py_DECREF(top);
            return -1;
        }
        note_change(parent, parent->name, 1);
    }
    int bad = emit(self, x->events, 1, top->key, list_copy(top->idx), top->path, top->c, top->c);
    Py_DECREF(top);
    return bad ? -1 : 0;
}

/* Machine._string_delta (no batching: the caller checked) and _string_done, in a container */
static int
string_piece(CoreObject *self, FrameObject *top, PyObject *events, PyObject *piece, int final)
{
    if (PyUnicode_GET_LENGTH(piece)) {
        PyObject *text = str_concat(self->text, piece);
        if (text == NULL)
            return -1;
        SET(self->text, text);
        if (set_string(self, top, text) ||
            emit(self, events, 0, self->skey, list_copy(self->sidx), self->spath, piece, text))
            return -1;
    }
    if (!final)
        return 0;
    if (!self->sattached && set_string(self, top, self->text))
        return -1;
    return emit(self, events, 1, self->skey, list_copy(self->sidx), self->spath, s_empty,
                self->text);
}

/* Where the C loop stands after a step it took: the new position, or -1 (an error), or
   HAND_BACK: the Python step must take it (nothing has changed). */
#define HAND_BACK (-2)

/* Machine._value in a container, for what the C path takes beyond FastLoop's inline forms: a
   double-quoted string that goes on past its escapes, a number or literal not complete in
   the buffer (its state begins), ']' closing an array. */
static Py_ssize_t
value_step(CoreObject *self, FrameObject *top, Ctx *x, Py_ssize_t pos, Py_UCS4 c,
           Py_ssize_t *state)
{
    int kind = x->kind;
    const void *data = x->data;
    if (c == '"') {
        PyObject *key, *idx, *path;
        if (where(self, top, &key, &idx, &path))
            return -1;
        SET(self->skey, key);
        SET(self->sidx, idx);
        SET(self->spath, path);
        self->sattached = 0;
        SET(self->text, Py_NewRef(s_empty));
        SET(self->quote, Py_NewRef(s_dquote));
        SET(self->runre, Py_NewRef(x->strict ? RUN_STRICT : RUN_DOUBLE));
        *state = STRING;
        return pos + 1;
    }
    if (c == '-' || is_digit(c)) {
        int is_int;
        Py_ssize_t end = match_number(kind, data, x->n, pos, &is_int);
        if (end >= 0 && end < x->n && !is_number_char(RD(end)))
            return HAND_BACK; /* complete, but not taken inline: a hook, a limit, a failure */
        SET(self->num, Py_NewRef(s_empty));
        self->nst = 0;
        self->num_start = self->base + pos;
        *state = NUMBER;
        return pos;
    }
    if (c == 't' || c == 'f' || c == 'n' || c == 'T' || c == 'F' || c == 'N') {
        SET(self->word, Py_NewRef(s_empty));
        *state = WORD;
        return pos;
    }
    if (c == ']' && self->closer_ok && !top->obj) {
        if (close_container(self, x, 1))
            return -1;
        return pos + 1; /* the caller's after_value */
    }
    return HAND_BACK;
}

/* Machine._string for a double-quoted string in a container */
static Py_ssize_t
string_step(CoreObject *self, FrameObject *top, Ctx *x, Py_ssize_t pos, Py_ssize_t *state)
{
    if (PyList_GET_SIZE(self->tail) || PyUnicode_GET_LENGTH(self->text) >= LONG)
        return HAND_BACK; /* batched deltas of a very long string */
    Py_ssize_t end;
    int esc;
    int outcome = scan_dq(x->kind, x->data, x->n, pos, x->strict, &end, &esc);
    if (outcome == S_OTHER)
        return HAND_BACK;
    PyObject *piece = decode(x->buf, x->kind, x->data, pos, end, esc);
    if (piece == NULL)
        return -1;
    int bad = string_piece(self, top, x->events, piece, outcome == S_CLOSED);
    Py_DECREF(piece);
    if (bad)
        return -1;
    if (outcome == S_MORE)
        return end; /* end < n: the escape there is held for the next chunk */
    *state = AFTER;
    return end + 1;
}

/* Machine._key_string for a double-quoted key */
static Py_ssize_t
key_step(CoreObject *self, FrameObject *top, Ctx *x, Py_ssize_t pos, Py_ssize_t *state)
{
    Py_ssize_t end;
    int esc;
    int outcome = scan_dq(x->kind, x->data, x->n, pos, x->strict, &end, &esc);
    if (outcome == S_OTHER)
        return HAND_BACK;
    PyObject *piece = decode(x->buf, x->kind, x->data, pos, end, esc);
    if (piece == NULL)
        return -1;
    PyObject *keytext = str_concat(self->keytext, piece);
    Py_DECREF(piece);
    if (keytext == NULL)
        return -1;
    SET(self->keytext, keytext);
    if (outcome == S_MORE)
        return end;
    SET(top->name, Py_NewRef(keytext));
    *state = COLON;
    return end + 1;
}

/* Machine._number in a container */
static Py_ssize_t
number_step(CoreObject *self, FrameObject *top, Ctx *x, Py_ssize_t pos, Py_ssize_t *state)
{
    Py_ssize_t start = pos, st = self->nst;
    int outcome = scan_number(x->kind, x->data, x->n, &pos, &st, !x->strict);
    if (outcome == NUM_BAD || (outcome == NUM_DONE && st == 11))
        return HAND_BACK; /* an error, "-Infinity", or a hexadecimal number */
    if (PyUnicode_GET_LENGTH(self->num) + (pos - start) > x->max_number_length)
        return HAND_BACK;
    PyObject *piece = PyUnicode_Substring(x->buf, start, pos);
    if (piece == NULL)
        return -1;
    PyObject *num = str_concat(self->num, piece);
    Py_DECREF(piece);
    if (num == NULL)
        return -1;
    if (outcome == NUM_MORE) {
        self->nst = st;
        SET(self->num, num);
        return pos;
    }
    PyObject *v = convert(self, num, st == 2 || st == 3);
    if (v == NULL) {
        Py_DECREF(num);
        return PyErr_Occurred() ? -1 : HAND_BACK;
    }
    self->nst = st;
    SET(self->num, num);
    int bad = scalar(self, top, x->events, v);
    Py_DECREF(v);
    if (bad)
        return -1;
    *state = AFTER;
    return pos;
}

/* is `word` the beginning of a literal (scanner.bad_word_index finds nothing) */
static int
literal_prefix(PyObject *literals, PyObject *word)
{
    Py_ssize_t i = 0;
    PyObject *name, *value;
    while (PyDict_Next(literals, &i, &name, &value)) {
        if (PyUnicode_Check(name) && PyUnicode_Tailmatch(name, word, 0, PY_SSIZE_T_MAX, -1) == 1)
            return 1;
    }
    return 0;
}

/* Machine._literal in a container */
static Py_ssize_t
word_step(CoreObject *self, FrameObject *top, Ctx *x, Py_ssize_t pos, Py_ssize_t *state)
{
    int kind = x->kind;
    const void *data = x->data;
    Py_ssize_t end = pos;
    while (end < x->n && is_word_char(RD(end)))
        end++;
    PyObject *piece = PyUnicode_Substring(x->buf, pos, end);
    if (piece == NULL)
        return -1;
    PyObject *word = str_concat(self->word, piece);
    Py_DECREF(piece);
    if (word == NULL)
        return -1;
    if (!literal_prefix(self->literals, word)) {
        Py_DECREF(word);
        return HAND_BACK;
    }
    if (end == x->n) {
        SET(self->word, word);
        return end;
    }
    PyObject *v = PyDict_GetItemWithError(self->literals, word);
    if (v == NULL) {
        Py_DECREF(word);
        return PyErr_Occurred() ? -1 : HAND_BACK;
    }
    Py_INCREF(v);
    SET(self->word, word);
    int bad = scalar(self, top, x->events, v);
    Py_DECREF(v);
    if (bad)
        return -1;
    *state = AFTER;
    return end;
}

/* the step as FastLoop hands it to Machine._step */
static Py_ssize_t
python_step(CoreObject *self, Ctx *x, Py_ssize_t pos, Py_UCS4 c, Py_ssize_t *state)
{
    self->state = *state;
    PyObject *p_pos = PyLong_FromSsize_t(pos), *p_c = PyUnicode_FromOrdinal((int)c),
             *p_state = PyLong_FromSsize_t(*state), *res = NULL;
    if (p_pos != NULL && p_c != NULL && p_state != NULL) {
        /* self._step(buf, pos, c, state, events) (args[0] is scratch for the call) */
        PyObject *args[7] = {NULL, (PyObject *)self, x->buf, p_pos, p_c, p_state, x->events};
        res = call_python(self, m_step, args, 7);
    }
    Py_XDECREF(p_pos);
    Py_XDECREF(p_c);
    Py_XDECREF(p_state);
    *state = self->state;
    if (res == NULL)
        return -1;
    Py_ssize_t p = PyLong_AsSsize_t(res);
    Py_DECREF(res);
    if (p == -1 && PyErr_Occurred())
        return -1;
    return p;
}

/* after a value completed in a container (Machine._after_value): AFTER, or, when the root
   closed, the Python code decides what follows */
static int
after_value(CoreObject *self, Py_ssize_t *state)
{
    if (PyList_GET_SIZE(self->stack)) {
        *state = AFTER;
        return 0;
    }
    PyObject *args[2] = {NULL, (PyObject *)self};
    PyObject *res = call_python(self, m_after_value, args, 2);
    if (res == NULL)
        return -1;
    Py_DECREF(res);
    *state = self->state;
    return 0;
}

/* FastLoop._loop: consume buf from pos; return where undecided text begins (-1: an error,
   Hold and Fail included, raised by a Python step) */
static Py_ssize_t
loop(CoreObject *self, Ctx *x, Py_ssize_t pos)
{
    const int kind = x->kind;
    const void *data = x->data;
    const Py_ssize_t n = x->n;
    const int strict = x->strict, lenient = !strict;
    PyObject *events = x->events;
    Py_ssize_t state = self->state;
    while (pos < n) {
        Py_UCS4 c = RD(pos);
        if (is_ws(c) && (state <= AFTER || (state == END && !(lenient && truthy(self->on_ignored))))) {
            pos = skip_ws(kind, data, n, pos);
            if (pos >= n)
                break;
            c = RD(pos);
        }
        PyObject *stack = self->stack;
        if (PyList_GET_SIZE(stack)) {
            FrameObject *top = TOP(stack);
            if (top == NULL)
                goto error;
            if (state == AFTER) {
                if (top->obj) {
                    /* ', "key":' in one go (the regex of State._members), then the value */
                    if (n - pos > 6) {
                        Py_ssize_t i = skip_ws(kind, data, n, pos);
                        if (i < n && RD(i) == ',') {
                            i = skip_ws(kind, data, n, i + 1);
                            if (i < n && RD(i) == '"') {
                                Py_ssize_t s = i + 1, e = dq_run(kind, data, n, s, strict);
                                if (e < n && RD(e) == '"') {
                                    Py_ssize_t k = skip_ws(kind, data, n, e + 1);
                                    if (k < n && RD(k) == ':') {
                                        PyObject *name = PyUnicode_Substring(x->buf, s, e);
                                        if (name == NULL)
                                            goto error;
                                        SET(top->name, name);
                                        pos = skip_ws(kind, data, n, k + 1);
                                        state = VALUE;
                                        self->closer_ok = 0;
                                        if (pos >= n)
                                            break;
                                        c = RD(pos);
                                    }
                                }
                            }
                        }
                    }
                }
                else if (c == ',') {
                    pos = skip_ws(kind, data, n, pos + 1);
                    state = VALUE;
                    self->closer_ok = (char)lenient;
                    if (pos >= n)
                        break;
                    c = RD(pos);
                }
                if (state == AFTER) {
                    if (c == ',') {
                        state = top->obj ? KEY : VALUE;
                        self->closer_ok = (char)lenient;
                        pos++;
                        continue;
                    }
                    if (c == (Py_UCS4)(top->obj ? '}' : ']')) {
                        if (close_container(self, x, 0))
                            goto error;
                        pos++;
                        if (after_value(self, &state))
                            goto error;
                        continue;
                    }
                }
            }
            else if (state == KEY) {
                Py_ssize_t s = -1, e = -1;
                if (n - pos > 5 && c == '"') { /* '"key":' in one go */
                    e = dq_run(kind, data, n, pos + 1, strict);
                    if (e < n && RD(e) == '"') {
                        Py_ssize_t k = skip_ws(kind, data, n, e + 1);
                        if (k < n && RD(k) == ':') {
                            s = pos + 1;
                            PyObject *name = PyUnicode_Substring(x->buf, s, e);
                            if (name == NULL)
                                goto error;
                            SET(top->name, name);
                            pos = skip_ws(kind, data, n, k + 1);
                            state = VALUE;
                            self->closer_ok = 0;
                            if (pos >= n)
                                break;
                            c = RD(pos);
                        }
                    }
                }
                if (s < 0 && c == '"') {
                    e = dq_run(kind, data, n, pos + 1, strict);
                    if (e >= n) { /* the key goes on in the next chunk */
                        PyObject *text = PyUnicode_Substring(x->buf, pos + 1, e);
                        if (text == NULL)
                            goto error;
                        SET(self->keytext, text);
                        SET(self->quote, Py_NewRef(s_dquote));
                        SET(self->runre, Py_NewRef(strict ? RUN_STRICT : RUN_DOUBLE));
                        self->state = KEYSTR;
                        return n;
                    }
                    PyObject *name = NULL;
                    Py_UCS4 d = RD(e);
                    if (d == '"') {
                        name = PyUnicode_Substring(x->buf, pos + 1, e);
                        if (name == NULL)
                            goto error;
                        e++;
                    }
                    else if (d == '\\') {
                        int esc;
                        Py_ssize_t q;
                        if (scan_dq(kind, data, n, pos + 1, strict, &q, &esc) == S_CLOSED) {
                            name = decode(x->buf, kind, data, pos + 1, q, esc);
                            if (name == NULL)
                                goto error;
                            e = q + 1;
                        }
                    }
                    if (name != NULL) {
                        SET(top->name, name);
                        pos = e;
                        if (pos < n && RD(pos) == ':') {
                            state = VALUE;
                            self->closer_ok = 0;
                            pos++;
                        }
                        else {
                            state = COLON;
                        }
                        continue;
                    }
                }
            }
            if (state == KEY && c == '}' && self->closer_ok) { /* Machine: '{}', or "{"a": 1,}" */
                if (close_container(self, x, 1) || after_value(self, &state))
                    goto error;
                pos++;
                continue;
            }
            else if (state == COLON) {
                if (c == ':') {
                    state = VALUE;
                    self->closer_ok = 0;
                    pos++;
                    continue;
                }
            }
            if (state == VALUE) {
                PyObject *v = NULL; /* the value, when complete in the buffer */
                int open_string = 0;
                Py_ssize_t end = pos;
                if (c == '"') {
                    end = dq_run(kind, data, n, pos + 1, strict);
                    if (end >= n) { /* the string goes on in the next chunk */
                        v = PyUnicode_Substring(x->buf, pos + 1, n);
                        open_string = 1;
                    }
                    else if (RD(end) == '"') {
                        v = PyUnicode_Substring(x->buf, pos + 1, end);
                        end++;
                    }
                    else if (RD(end) == '\\') {
                        int esc;
                        Py_ssize_t q;
                        if (scan_dq(kind, data, n, pos + 1, strict, &q, &esc) == S_CLOSED) {
                            v = decode(x->buf, kind, data, pos + 1, q, esc);
                            end = q + 1;
                        }
                        else {
                            end = pos;
                        }
                    }
                    if (v == NULL && PyErr_Occurred())
                        goto error;
                }
                else if (c == '-' || is_digit(c)) {
                    int is_int;
                    Py_ssize_t e = match_number(kind, data, n, pos, &is_int);
                    if (e >= 0 && e < n && !is_number_char(RD(e)) &&
                        e - pos <= x->max_number_length) {
                        PyObject *text = PyUnicode_Substring(x->buf, pos, e);
                        if (text == NULL)
                            goto error;
                        v = convert(self, text, is_int);
                        Py_DECREF(text);
                        if (v == NULL && PyErr_Occurred())
                            goto error;
                        end = e;
                    }
                }
                else if (c == 't' || c == 'f' || c == 'n' || c == 'T' || c == 'F' || c == 'N') {
                    Py_ssize_t e = pos;
                    while (e < n && is_word_char(RD(e)))
                        e++;
                    if (e < n) {
                        PyObject *w = PyUnicode_Substring(x->buf, pos, e);
                        if (w == NULL)
                            goto error;
                        v = PyDict_GetItemWithError(self->literals, w);
                        Py_DECREF(w);
                        if (v == NULL && PyErr_Occurred())
                            goto error;
                        Py_XINCREF(v);
                        end = e;
                    }
                }
                else if ((c == '{' || c == '[') &&
                         !(n - pos >= MIN_LENGTH && self->bulk_budget > 0) &&
                         PyList_GET_SIZE(stack) < x->max_depth) {
                    /* (the bulk path and max_depth: the Python step) */
                    v = c == '{' ? PyDict_New() : PyList_New(0);
                    if (v == NULL)
                        goto error;
                    end = pos + 1;
                }
                if (v != NULL) {
                    PyObject *key, *idx, *path;
                    if (where(self, top, &key, &idx, &path)) {
                        Py_DECREF(v);
                        goto error;
                    }
                    if (c == '{' || c == '[') {
                        /* it joins the document with its first event (State._attach) */
                        int obj = c == '{';
                        PyObject *ckey;
                        if (PyUnicode_GET_LENGTH(key))
                            ckey = str_concat(key, obj ? s_dot : s_dot_items);
                        else
                            ckey = Py_NewRef(obj ? s_empty : s_items);
                        if (ckey == NULL) {
                            Py_DECREF(v);
                            Py_DECREF(key);
                            Py_DECREF(idx);
                            Py_DECREF(path);
                            goto error;
                        }
                        FrameObject *f = frame_make(v, obj, key, path, idx, ckey);
                        if (f == NULL)
                            goto error;
                        int bad = PyList_Append(stack, (PyObject *)f);
                        Py_DECREF(f);
                        if (bad)
                            goto error;
                        state = obj ? KEY : VALUE;
                        self->closer_ok = 1;
                        pos = end;
                        continue;
                    }
                    if (open_string && PyUnicode_GET_LENGTH(v) == 0) {
                        Py_DECREF(v);
                        SET(self->skey, key);
                        SET(self->sidx, idx);
                        SET(self->spath, path);
                        SET(self->text, Py_NewRef(s_empty));
                        self->sattached = 0;
                        SET(self->quote, Py_NewRef(s_dquote));
                        SET(self->runre, Py_NewRef(strict ? RUN_STRICT : RUN_DOUBLE));
                        self->state = STRING;
                        return n;
                    }
                    int bad = put(self, top, v);
                    if (!bad && c == '"') {
                        if (PyUnicode_GET_LENGTH(v))
                            bad = emit(self, events, 0, key, list_copy(idx), path, v, v);
                        if (!bad && open_string) { /* its text so far is out, more comes later */
                            SET(self->skey, key);
                            SET(self->sidx, idx);
                            SET(self->spath, path);
                            SET(self->text, v);
                            self->sattached = 1;
                            SET(self->quote, Py_NewRef(s_dquote));
                            SET(self->runre, Py_NewRef(strict ? RUN_STRICT : RUN_DOUBLE));
                            self->state = STRING;
                            return n;
                        }
                        if (!bad)
                            bad = emit(self, events, 1, key, Py_NewRef(idx), path, s_empty, v);
                    }
                    else if (!bad) {
                        bad = emit(self, events, 1, key, Py_NewRef(idx), path, v, v);
                    }
                    Py_DECREF(v);
                    Py_DECREF(key);
                    Py_DECREF(idx);
                    Py_DECREF(path);
                    if (bad)
                        goto error;
                    state = AFTER;
                    pos = end;
                    continue;
                }
                /* beyond FastLoop: Machine._value's steps the C path takes */
                Py_ssize_t p = value_step(self, top, x, pos, c, &state);
                if (p == -1)
                    goto error;
                if (p != HAND_BACK) {
                    if (c == ']' && after_value(self, &state))
                        goto error;
                    pos = p;
                    continue;
                }
            }
            else if ((state == STRING || state == KEYSTR) && is_dquote(self->quote)) {
                Py_ssize_t end = dq_run(kind, data, n, pos, strict);
                if (end < n && RD(end) == '"' &&
                    !(state == STRING && PyList_GET_SIZE(self->tail))) {
                    PyObject *piece = PyUnicode_Substring(x->buf, pos, end);
                    if (piece == NULL)
                        goto error;
                    pos = end + 1;
                    if (state == KEYSTR) { /* FastLoop: the key's name, _keytext untouched */
                        PyObject *name = str_concat(self->keytext, piece);
                        Py_DECREF(piece);
                        if (name == NULL)
                            goto error;
                        SET(top->name, name);
                        state = COLON;
                        continue;
                    }
                    int bad = string_piece(self, top, events, piece, 1);
                    Py_DECREF(piece);
                    if (bad)
                        goto error;
                    state = AFTER;
                    continue;
                }
                Py_ssize_t p = state == STRING ? string_step(self, top, x, pos, &state)
                                               : key_step(self, top, x, pos, &state);
                if (p == -1)
                    goto error;
                if (p != HAND_BACK) {
                    if (state == AFTER && after_value(self, &state))
                        goto error;
                    if (p < n && (state == STRING || state == KEYSTR)) {
                        pos = p; /* Hold: an escape not complete yet */
                        break;
                    }
                    pos = p;
                    continue;
                }
            }
            else if (state == NUMBER || state == WORD) {
                Py_ssize_t p = state == NUMBER ? number_step(self, top, x, pos, &state)
                                               : word_step(self, top, x, pos, &state);
                if (p == -1)
                    goto error;
                if (p != HAND_BACK) {
                    if (state == AFTER && after_value(self, &state))
                        goto error;
                    pos = p;
                    continue;
                }
            }
        }
        pos = python_step(self, x, pos, c, &state);
        if (pos < 0)
            return -1;
    }
    self->state = state;
    return pos;
error:
    self->state = state;
    return -1;
}

/* -- feed() ---------------------------------------------------------------------------------------- */

static PyObject *
call_method1(PyObject *self, PyObject *name, PyObject *arg)
{
    PyObject *args[3] = {NULL, self, arg};
    return call_python((CoreObject *)self, name, args, 3);
}

/* -- the excerpt tail (_recent) -------------------------------------------------------------- */

/* out[:end - start] = s[start:end] */
static void
widen(Py_UCS4 *out, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t n = end - start;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = (const Py_UCS1 *)data + start;
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = s[i];
    }
    else if (kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *s = (const Py_UCS2 *)data + start;
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = s[i];
    }
    else {
        memcpy(out, (const Py_UCS4 *)data + start, sizeof(Py_UCS4) * (size_t)n);
    }
}

/* Parser._feed_text keeps in _recent the characters consumed last, for error excerpts: after
   consuming buf[:pos], buf[pos - 30:pos] when pos >= 30, else _recent + buf[:pos], cut to its
   last 30 when longer than 60; _sync_recent: (_recent + what the fast path took)[-30:]. The C
   code does the same in rbuf, without making a str every call; the str is made when Python
   reads _recent. Only the last 60 characters of a longer _recent (a caller's own) matter to
   either rule, so those are all rbuf loads. */
static void
recent_load(CoreObject *self)
{
    if (self->rmine)
        return;
    PyObject *r = self->recent;
    Py_ssize_t len = PyUnicode_GET_LENGTH(r), from = len > 60 ? len - 60 : 0;
    widen(self->rbuf, PyUnicode_KIND(r), PyUnicode_DATA(r), from, len);
    self->rlen = len - from;
    self->rmine = 1;
}

/* add s[start:end] to the tail: `sync`, _sync_recent's rule, else _feed_text's */
static inline void
recent_add(CoreObject *self, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
           int sync)
{
    recent_load(self);
    Py_UCS4 *r = self->rbuf;
    if (end - start >= 30) {
        widen(r, kind, data, end - 30, end);
        self->rlen = 30;
        return;
    }
    Py_ssize_t total = self->rlen + (end - start);
    if (total > (sync ? 30 : 60)) { /* keep the last 30: drop the tail's first total - 30 */
        Py_ssize_t drop = total - 30;
        memmove(r, r + drop, sizeof(Py_UCS4) * (size_t)(self->rlen - drop));
        self->rlen -= drop;
    }
    widen(r + self->rlen, kind, data, start, end);
    self->rlen += end - start;
}

static PyObject *
recent_get(CoreObject *self, void *closure)
{
    if (self->rmine) {
        PyObject *s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, self->rbuf, self->rlen);
        if (s == NULL)
            return NULL;
        SET(self->recent, s);
        self->rmine = 0;
    }
    return Py_NewRef(self->recent);
}

/* _recent is a typed field (a str) whose setter also makes the object authoritative */
static TypedField recent_field = {"_recent", T_STR, offsetof(CoreObject, recent), "the parser's"};

static int
recent_set(CoreObject *self, PyObject *value, void *closure)
{
    if (typed_set((PyObject *)self, value, &recent_field))
        return -1;
    self->rmine = 0;
    return 0;
}

/* Parser._sync_recent */
static void
sync_recent(CoreObject *self)
{
    Py_ssize_t gap = self->base - self->recent_end;
    if (gap > 0) {
        PyObject *t = self->text;
        Py_ssize_t len = PyUnicode_GET_LENGTH(t);
        recent_add(self, PyUnicode_KIND(t), PyUnicode_DATA(t), gap >= len ? 0 : len - gap, len,
                   1);
    }
    self->recent_end = self->base;
}

/* Parser._fast_setup */
static int
fast_setup(CoreObject *self)
{
    PyObject *stack = self->stack;
    if (PyList_GET_SIZE(stack)) {
        FrameObject *f = TOP(stack);
        if (f == NULL)
            return -1;
        SET(self->slot, Py_NewRef(f->c));
        SET(self->slot_key, f->obj ? Py_NewRef(f->name) : PyLong_FromLong(-1));
    }
    else {
        SET(self->slot, PyDict_New());
        SET(self->slot_key, PyLong_FromLong(0));
    }
    if (self->slot == NULL || self->slot_key == NULL)
        return -1;
    PyObject *t = PyDict_Copy(self->multiple ? t_delta_doc : t_delta);
    if (t == NULL)
        return -1;
    SET(self->template_, t);
    if (PyDict_SetItem(t, s_key, self->skey) || PyDict_SetItem(t, s_indexes, self->sidx) ||
        PyDict_SetItem(t, s_path, self->spath) || PyDict_SetItem(t, s_delta, s_empty) ||
        PyDict_SetItem(t, s_value, s_empty) || PyDict_SetItem(t, s_complete_value, Py_None))
        return -1;
    if (self->multiple) {
        PyObject *doc = PyLong_FromSsize_t(self->doc);
        int bad = doc == NULL || PyDict_SetItem(t, s_document, doc);
        Py_XDECREF(doc);
        if (bad)
            return -1;
    }
    return 0;
}

#define NOT_TAKEN Py_NotImplemented

/* no closing quote, backslash or newline (strict: no control character either): the test of
   feed()'s fast path */
#define PLAIN_TEXT(T)                                                                        \
    {                                                                                        \
        const T *p = (const T *)data;                                                        \
        for (Py_ssize_t i = 0; i < n; i++) {                                                 \
            Py_UCS4 c = p[i];                                                                \
            if (c == q || c == '\\' || c == '\n' || (strict && (c < 0x20 || c == '"')))      \
                return 0;                                                                    \
        }                                                                                    \
        return 1;                                                                            \
    }

static int
plain_text(int kind, const void *data, Py_ssize_t n, Py_UCS4 q, int strict)
{
    if (kind == PyUnicode_1BYTE_KIND)
        PLAIN_TEXT(Py_UCS1)
    if (kind == PyUnicode_2BYTE_KIND)
        PLAIN_TEXT(Py_UCS2)
    PLAIN_TEXT(Py_UCS4)
}

/* how many newlines buf[0:pos] has, and where the last one is */
static Py_ssize_t
newlines(int kind, const void *data, Py_ssize_t pos, Py_ssize_t *last)
{
    Py_ssize_t count = 0;
    *last = -1;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = (const Py_UCS1 *)data, *at = p, *end = p + pos;
        while ((at = memchr(at, '\n', (size_t)(end - at))) != NULL) {
            count++;
            *last = at - p;
            at++;
        }
        return count;
    }
    for (Py_ssize_t i = 0; i < pos; i++) {
        if (RD(i) == '\n') {
            count++;
            *last = i;
        }
    }
    return count;
}

/* Parser.feed's fast path: the chunk lies wholly inside the open string (NOT_TAKEN: it does
   not, nothing changed) */
static PyObject *
fast_path(CoreObject *self, PyObject *chunk)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(chunk);
    if (n == 0 || PyUnicode_GET_LENGTH(self->quote) != 1)
        return NOT_TAKEN;
    Py_UCS4 q = PyUnicode_READ_CHAR(self->quote, 0);
    if (!plain_text(PyUnicode_KIND(chunk), PyUnicode_DATA(chunk), n, q, self->strict))
        return NOT_TAKEN;
    self->base += n;
    PyObject *value = str_concat(self->text, chunk);
    if (value == NULL)
        return NULL;
    SET(self->text, value);
    if (PyUnicode_GET_LENGTH(value) >= LONG)
        self->in_string = 0; /* from now on deltas are batched (_string_delta) */
    /* (the slot is the top container's member once fast_setup has run for this string:
       feed_text clears the template) */
    if (self->shared && release_for(self, self->template_ != Py_None ? self->slot : NULL,
                                    self->slot_key))
        return NULL;
    if (self->template_ == Py_None && fast_setup(self))
        return NULL;
    if (PyList_GET_SIZE(self->stack)) {
        FrameObject *top = TOP(self->stack);
        if (top == NULL)
            return NULL;
        note_change(top, top->name, 1);
    }
    if (PyDict_CheckExact(self->slot) ? PyDict_SetItem(self->slot, self->slot_key, value)
                                      : PyObject_SetItem(self->slot, self->slot_key, value))
        return NULL;
    PyObject *root = PyList_GET_SIZE(self->stack) ? self->root : value;
    SET(self->root, Py_NewRef(root));
    PyObject *ev = PyDict_Copy(self->template_);
    if (ev == NULL)
        return NULL;
    PyObject *idx = list_copy(self->sidx);
    if (idx == NULL || PyDict_SetItem(ev, s_indexes, idx) || PyDict_SetItem(ev, s_delta, chunk) ||
        PyDict_SetItem(ev, s_value, value) || PyDict_SetItem(ev, s_complete_value, root)) {
        Py_XDECREF(idx);
        Py_DECREF(ev);
        return NULL;
    }
    Py_DECREF(idx);
    self->shared = self->snapshots;
    PyObject *events;
    if (self->committed) {
        events = PyList_New(1);
        if (events == NULL) {
            Py_DECREF(ev);
            return NULL;
        }
        PyList_SET_ITEM(events, 0, ev);
        return events;
    }
    self->committed = 1;
    events = self->held_events;
    PyObject *fresh = PyList_New(0);
    if (fresh == NULL) {
        Py_DECREF(ev);
        return NULL;
    }
    self->held_events = fresh; /* the reference to `events` moves to the caller */
    int bad = PyList_Append(events, ev);
    Py_DECREF(ev);
    if (bad) {
        Py_DECREF(events);
        return NULL;
    }
    return events;
}

/* the position a Hold signal carries */
static Py_ssize_t
hold_position(PyObject *exc)
{
    PyObject *p = PyObject_GetAttr(exc, s_pos);
    if (p == NULL)
        return -1;
    Py_ssize_t pos = PyLong_AsSsize_t(p);
    Py_DECREF(p);
    return pos;
}

static PyObject *
fetch_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* Parser._feed_text: parse held + chunk */
static PyObject *
feed_text(CoreObject *self, PyObject *buf)
{
    self->bulk_budget = BUDGET;
    if (self->recent_end != self->base)
        sync_recent(self);
    PyObject *events;
    if (PyList_GET_SIZE(self->held_events)) {
        events = self->held_events;
        self->held_events = PyList_New(0);
        if (self->held_events == NULL) {
            self->held_events = events;
            return NULL;
        }
    }
    else {
        events = PyList_New(0);
        if (events == NULL)
            return NULL;
    }
    SET(self->events_now, Py_NewRef(events)); /* _release points them at its copy */
    self->cand_idx = 0;
    Ctx x;
    x.buf = buf;
    x.kind = PyUnicode_KIND(buf);
    x.data = PyUnicode_DATA(buf);
    x.n = PyUnicode_GET_LENGTH(buf);
    x.events = events;
    x.strict = self->strict;
    if (self->depth_of != self->max_depth || self->length_of != self->max_number_length) {
        self->limits[0] = as_limit(self->max_depth);
        self->limits[1] = as_limit(self->max_number_length);
        SET(self->depth_of, Py_NewRef(self->max_depth));
        SET(self->length_of, Py_NewRef(self->max_number_length));
    }
    x.max_depth = self->limits[0];
    x.max_number_length = self->limits[1];
    if (x.max_depth < 0 || x.max_number_length < 0) {
        Py_DECREF(events);
        corrupt("limits");
        return NULL;
    }
    Py_ssize_t pos = 0;
    for (;;) {
        Py_ssize_t p = loop(self, &x, pos);
        if (p >= 0) {
            pos = p;
            break;
        }
        if (PyErr_ExceptionMatches(Hold)) {
            PyObject *h = fetch_exception();
            pos = h == NULL ? -1 : hold_position(h);
            Py_XDECREF(h);
            if (pos < 0)
                goto error;
            break;
        }
        if (!PyErr_ExceptionMatches(Fail))
            goto error;
        PyObject *f = fetch_exception();
        if (f == NULL)
            goto error;
        /* where the search for a document resumes, or the ParseError */
        PyObject *args[5] = {NULL, (PyObject *)self, f, buf, events};
        PyObject *r = call_python(self, m_resume, args, 5);
        Py_DECREF(f);
        if (r == NULL)
            goto error;
        pos = PyLong_AsSsize_t(r);
        Py_DECREF(r);
        if (pos < 0) {
            if (!PyErr_Occurred())
                corrupt("position");
            goto error;
        }
    }
    PyObject *held = pos == x.n ? Py_NewRef(s_empty) : PyUnicode_Substring(buf, pos, x.n);
    if (held == NULL)
        goto error;
    SET(self->held, held);
    if (pos) { /* forget buf[:pos], keeping its newline count and a short tail for excerpts */
        Py_ssize_t last, lines = newlines(x.kind, x.data, pos, &last);
        if (lines) {
            self->lines += lines;
            self->last_nl = self->base + last;
        }
        recent_add(self, x.kind, x.data, 0, pos, 0);
        self->base += pos;
        self->recent_end = self->base;
    }
    self->in_string = self->state == STRING && self->sattached && x.n == pos &&
                      self->max_size == Py_None && PyUnicode_GET_LENGTH(self->text) < LONG &&
                      (self->committed || self->kind == DOC);
    SET(self->template_, Py_NewRef(Py_None));
    if (self->has_root && !self->committed) {
        PyObject *r = call_method1((PyObject *)self, m_hold, events);
        if (r == NULL)
            goto error;
        int held_back = PyObject_IsTrue(r);
        Py_DECREF(r);
        if (held_back < 0)
            goto error;
        if (held_back) {
            Py_DECREF(events);
            return PyList_New(0);
        }
    }
    if (self->snapshots && (PyList_GET_SIZE(events) || PyList_GET_SIZE(self->held_events)))
        self->shared = 1; /* the events handed out hold the document */
    SET(self->events_now, Py_NewRef(NO_EVENTS));
    return events;
error:
    Py_DECREF(events);
    return NULL;
}

static PyObject *
core_feed(CoreObject *self, PyObject *chunk)
{
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "instant._core._speedups is not configured");
        return NULL;
    }
    int str = PyUnicode_CheckExact(chunk);
    if (str && READY(chunk))
        return NULL;
    if (self->in_string && str) {
        PyObject *r = fast_path(self, chunk);
        if (r != NOT_TAKEN)
            return r;
    }
    if (self->error != Py_None || self->state == CLOSED || !str || self->decoder != Py_None ||
        self->max_size != Py_None || self->emit_start)
        return call_method1((PyObject *)self, m_feed_python, chunk);
    if (PyUnicode_GET_LENGTH(chunk) == 0)
        return PyList_New(0);
    PyObject *buf = PyUnicode_GET_LENGTH(self->held) ? str_concat(self->held, chunk)
                                                    : Py_NewRef(chunk);
    if (buf == NULL || READY(buf)) {
        Py_XDECREF(buf);
        return NULL;
    }
    PyObject *events = feed_text(self, buf);
    Py_DECREF(buf);
    return events;
}

static PyMethodDef core_methods[] = {
    {"feed", (PyCFunction)core_feed, METH_O,
     "feed($self, chunk, /)\n--\n\n"
     "Parse the next chunk (``str``, or UTF-8 ``bytes`` split anywhere).\n\n"
     "The C engine's feed: the common path in C, everything else handed to the Python\n"
     "engine (``Parser._feed_python``); the events are the same."},
    {NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "instant._core._speedups.Core",
    .tp_basicsize = sizeof(CoreObject),
    .tp_dealloc = (destructor)core_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The storage of a parser's state (state.State derives from it) and its C feed().",
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_methods = core_methods,
    .tp_members = core_members,
    .tp_getset = core_getset,
    .tp_new = core_new,
};

/* -- the module --------------------------------------------------------------------------------- */

static int
take(PyObject *kwds, const char *name, PyObject **slot)
{
    PyObject *v = PyDict_GetItemString(kwds, name);
    if (v == NULL) {
        PyErr_Format(PyExc_TypeError, "configure() needs %s", name);
        return -1;
    }
    Py_XSETREF(*slot, Py_NewRef(v));
    return 0;
}

static int
take_size(PyObject *kwds, const char *name, Py_ssize_t *slot)
{
    PyObject *v = PyDict_GetItemString(kwds, name);
    if (v == NULL) {
        PyErr_Format(PyExc_TypeError, "configure() needs %s", name);
        return -1;
    }
    Py_ssize_t x = PyLong_AsSsize_t(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    *slot = x;
    return 0;
}

static PyObject *
configure(PyObject *module, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || kwds == NULL) {
        PyErr_SetString(PyExc_TypeError, "configure() takes keyword arguments only");
        return NULL;
    }
    Py_ssize_t reliable = 0;
    if (take(kwds, "Hold", &Hold) || take(kwds, "Fail", &Fail) ||
        take(kwds, "NO_EVENTS", &NO_EVENTS) || take(kwds, "key_segment", &key_segment) ||
        take(kwds, "RUN_STRICT", &RUN_STRICT) || take(kwds, "RUN_DOUBLE", &RUN_DOUBLE) ||
        take_size(kwds, "BUDGET", &BUDGET) || take_size(kwds, "MIN_LENGTH", &MIN_LENGTH) ||
        take_size(kwds, "LONG", &LONG) || take_size(kwds, "RELIABLE_REFCOUNTS", &reliable))
        return NULL;
    reliable_refcounts = reliable != 0;
    /* the states and kinds must be the ones state.py numbers */
    static const struct { const char *name; Py_ssize_t value; } numbers[] = {
        {"START", START}, {"VALUE", VALUE}, {"KEY", KEY}, {"COLON", COLON}, {"AFTER", AFTER},
        {"STRING", STRING}, {"KEYSTR", KEYSTR}, {"NUMBER", NUMBER}, {"WORD", WORD},
        {"BAREKEY", BAREKEY}, {"COMMENT", COMMENT}, {"END", END}, {"CLOSED", CLOSED},
        {"TAIL", TAIL}, {"PROSE", PROSE}, {"THINK", THINK}, {"DOC", DOC}, {"TENT", TENT},
        {"SCALAR", SCALAR}, {"NOTE", NOTE}, {NULL, 0},
    };
    for (int i = 0; numbers[i].name; i++) {
        Py_ssize_t v;
        if (take_size(kwds, numbers[i].name, &v))
            return NULL;
        if (v != numbers[i].value) {
            PyErr_Format(PyExc_ValueError, "state.%s is %zd in Python, %zd in C",
                         numbers[i].name, v, numbers[i].value);
            return NULL;
        }
    }
    if (!PyList_CheckExact(NO_EVENTS)) {
        PyErr_SetString(PyExc_TypeError, "NO_EVENTS must be a list");
        return NULL;
    }
    configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(**objects)\n--\n\n"
     "Hand the C code what it needs from the Python engine (parser.py calls it once)."},
    {NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "instant._core._speedups",
    .m_doc = "The engine's common path in C: see the comment at the top of _speedups.c and the "
             "README's \"How it works\".",
    .m_size = -1,
    .m_methods = module_methods,
};

static PyObject *
template(PyObject *kind, PyObject *complete, int document)
{
    PyObject *t = PyDict_New();
    if (t == NULL)
        return NULL;
    if (PyDict_SetItem(t, s_key, Py_None) || PyDict_SetItem(t, s_indexes, Py_None) ||
        PyDict_SetItem(t, s_path, Py_None) || PyDict_SetItem(t, s_event, kind) ||
        PyDict_SetItem(t, s_delta, Py_None) || PyDict_SetItem(t, s_value, Py_None) ||
        PyDict_SetItem(t, s_is_complete, complete) ||
        PyDict_SetItem(t, s_complete_value, Py_None) ||
        (document && PyDict_SetItem(t, s_document, Py_None))) {
        Py_DECREF(t);
        return NULL;
    }
    return t;
}

PyMODINIT_FUNC
PyInit__speedups(void)
{
#define INTERN(var, text)                                                                    \
    if ((var = PyUnicode_InternFromString(text)) == NULL)                                    \
        return NULL;
    INTERN(s_key, "key")
    INTERN(s_indexes, "indexes")
    INTERN(s_path, "path")
    INTERN(s_event, "event")
    INTERN(s_delta, "delta")
    INTERN(s_value, "value")
    INTERN(s_is_complete, "is_complete")
    INTERN(s_complete_value, "complete_value")
    INTERN(s_document, "document")
    INTERN(s_done, "done")
    INTERN(s_empty, "")
    INTERN(s_dquote, "\"")
    INTERN(s_pos, "pos")
    INTERN(s_dot, ".")
    INTERN(s_items, "[]")
    INTERN(s_dot_items, ".[]")
    INTERN(m_step, "_step")
    INTERN(m_after_value, "_after_value")
    INTERN(m_feed_python, "_feed_python")
    INTERN(m_resume, "_resume")
    INTERN(m_hold, "_hold")
#undef INTERN
    if ((t_delta = template(s_delta, Py_False, 0)) == NULL ||
        (t_done = template(s_done, Py_True, 0)) == NULL ||
        (t_delta_doc = template(s_delta, Py_False, 1)) == NULL ||
        (t_done_doc = template(s_done, Py_True, 1)) == NULL)
        return NULL;
    typed_getset(core_getset, core_typed);
    core_getset[CORE_TYPED] = (PyGetSetDef){"_recent", (getter)recent_get, (setter)recent_set,
                                            NULL, NULL};
    typed_getset(frame_getset, frame_typed);
    if (PyType_Ready(&FrameType) < 0 || PyType_Ready(&CoreType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Frame", (PyObject *)&FrameType) < 0 ||
        PyModule_AddObjectRef(m, "Core", (PyObject *)&CoreType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

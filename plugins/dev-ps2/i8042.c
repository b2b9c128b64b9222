/*
 * i8042: the PC's keyboard controller (ports 0x60 and 0x64) with a PS/2
 * keyboard on its first port (IRQ1) and a PS/2 mouse on its auxiliary
 * port (IRQ12).
 *
 * Written from the IBM PS/2 hardware references: controller commands
 * (command byte, self tests, port enables, output port with the A20 gate
 * and the reset line, writes to the auxiliary device), the keyboard's
 * commands (reset, identify, scan code set, LEDs, typematic, scanning
 * on/off) and the mouse's (reset, stream and remote modes, sample rate,
 * resolution, scaling, status, the IntelliMouse wheel).  The keyboard
 * speaks set 2 and the controller translates to set 1 when the command
 * byte asks, as the PC's does.  Keys and motion come from the input core
 * (emu/input.h).  Device code runs under the big lock.
 */
#include <string.h>
#include <emu/emu.h>
#include <emu/input.h>
#include "scancodes.h"

#define QUEUE_SIZE 256

/* Status register */
#define ST_OBF   0x01
#define ST_SYS   0x04
#define ST_CMD   0x08               /* last write went to 0x64 */
#define ST_UNINH 0x10               /* keyboard not inhibited */
#define ST_AUXB  0x20
/* Command byte */
#define CB_KBD_INT  0x01
#define CB_AUX_INT  0x02
#define CB_SYS      0x04
#define CB_KBD_OFF  0x10
#define CB_AUX_OFF  0x20
#define CB_XLATE    0x40
/* Output port */
#define OP_RESET 0x01               /* active low */
#define OP_A20   0x02

#define ACK 0xfa
#define RESEND 0xfe

typedef struct Queue {
    uint8_t data[QUEUE_SIZE];
    unsigned head, count;
} Queue;

typedef struct Ps2Kbd {
    Queue q;
    bool scanning;
    uint8_t pending_cmd;            /* awaiting a parameter byte */
    uint8_t set;                    /* scan code set 1 or 2 */
    uint8_t leds;
} Ps2Kbd;

typedef struct Ps2Mouse {
    Queue q;
    bool streaming, remote;
    uint8_t pending_cmd;
    uint8_t rate, resolution, scaling, id;
    uint8_t rate_history[3];        /* for the wheel knock sequence */
    unsigned buttons;
    int dx, dy, dz;                 /* motion not yet reported (remote) */
} Ps2Mouse;

typedef struct I8042 {
    EmuObject parent;
    /* properties */
    uint32_t data_port, cmd_port;
    EmuIrq *kbd_irq, *aux_irq;
    EmuIrq *a20, *reset;            /* output port lines */
    /* state */
    uint8_t status, cmd_byte, out_port;
    uint8_t out;                    /* the output buffer */
    uint8_t pending;                /* controller command awaiting data */
    bool translate_break;           /* an 0xf0 was swallowed */
    Ps2Kbd kbd;
    Ps2Mouse mouse;
    /* runtime */
    EmuMemoryRegion *data_mr, *cmd_mr;
    int input_tag;
} I8042;

#define I8042(obj) EMU_CAST(I8042, obj, "i8042")

/* ---- queues ---- */

static void q_put(Queue *q, uint8_t b)
{
    if (q->count < QUEUE_SIZE) {
        q->data[(q->head + q->count++) % QUEUE_SIZE] = b;
    }
}

static uint8_t q_get(Queue *q)
{
    uint8_t b = q->data[q->head];

    q->head = (q->head + 1) % QUEUE_SIZE;
    q->count--;
    return b;
}

static void q_clear(Queue *q)
{
    q->head = q->count = 0;
}

/* ---- controller output ---- */

static void update_irqs(I8042 *s)
{
    bool full = s->status & ST_OBF, aux = s->status & ST_AUXB;

    if (s->kbd_irq) {
        emu_irq_set(s->kbd_irq, full && !aux && (s->cmd_byte & CB_KBD_INT));
    }
    if (s->aux_irq) {
        emu_irq_set(s->aux_irq, full && aux && (s->cmd_byte & CB_AUX_INT));
    }
}

static void put_out(I8042 *s, uint8_t b, bool aux)
{
    s->out = b;
    s->status = (s->status & ~ST_AUXB) | ST_OBF | (aux ? ST_AUXB : 0);
    update_irqs(s);
}

/* The set 1 code of a set 2 byte (the 8042's translation). */
static uint8_t translate(uint8_t b)
{
    if (b == 0x83) {
        return 0x41;                /* F7, the one code above 0x7f */
    }
    for (unsigned k = 0; k < G_N_ELEMENTS(key_scan); k++) {
        if (!(key_scan[k].set2 & SC_E0) && key_scan[k].set2 == b && b) {
            return key_scan[k].set1;
        }
        if ((key_scan[k].set2 & SC_E0) && (key_scan[k].set2 & 0xff) == b) {
            return key_scan[k].set1 & 0xff;
        }
    }
    return b;                       /* replies and prefixes pass */
}

/* Moves the next device byte into an empty output buffer. */
static void refill(I8042 *s)
{
    while (!(s->status & ST_OBF)) {
        if (s->kbd.q.count && !(s->cmd_byte & CB_KBD_OFF)) {
            uint8_t b = q_get(&s->kbd.q);
            if (s->cmd_byte & CB_XLATE) {
                if (b == 0xf0) {
                    s->translate_break = true;
                    continue;
                }
                b = translate(b) | (s->translate_break ? 0x80 : 0);
                s->translate_break = false;
            }
            put_out(s, b, false);
        } else if (s->mouse.q.count && !(s->cmd_byte & CB_AUX_OFF)) {
            put_out(s, q_get(&s->mouse.q), true);
        } else {
            return;
        }
    }
}

/* ---- keyboard ---- */

static void kbd_reset(Ps2Kbd *k)
{
    q_clear(&k->q);
    k->scanning = true;
    k->pending_cmd = 0;
    k->set = 2;
    k->leds = 0;
}

static void kbd_param(Ps2Kbd *k, uint8_t b)
{
    uint8_t cmd = k->pending_cmd;

    k->pending_cmd = 0;
    q_put(&k->q, ACK);
    if (cmd == 0xed) {
        k->leds = b & 7;
    } else if (cmd == 0xf0 && b == 0) {
        q_put(&k->q, k->set);
    } else if (cmd == 0xf0 && (b == 1 || b == 2)) {
        k->set = b;
    }
}

static void kbd_write(I8042 *s, uint8_t b)
{
    Ps2Kbd *k = &s->kbd;

    if (k->pending_cmd) {
        kbd_param(k, b);
        return;
    }
    switch (b) {
    case 0xff: kbd_reset(k); q_put(&k->q, ACK); q_put(&k->q, 0xaa); break;
    case 0xf6: kbd_reset(k); q_put(&k->q, ACK); break;
    case 0xf5: k->scanning = false; q_put(&k->q, ACK); break;
    case 0xf4: k->scanning = true; q_put(&k->q, ACK); break;
    case 0xf2: q_put(&k->q, ACK); q_put(&k->q, 0xab); q_put(&k->q, 0x83); break;
    case 0xee: q_put(&k->q, 0xee); break;
    case 0xed: case 0xf3: case 0xf0:
        k->pending_cmd = b;
        q_put(&k->q, ACK);
        break;
    default: q_put(&k->q, RESEND); break;
    }
}

static void kbd_key(void *opaque, unsigned keycode, bool down)
{
    I8042 *s = opaque;
    Ps2Kbd *k = &s->kbd;
    uint16_t code;

    if (keycode >= G_N_ELEMENTS(key_scan) || !k->scanning) {
        return;
    }
    code = k->set == 1 ? key_scan[keycode].set1 : key_scan[keycode].set2;
    if (!code) {
        return;
    }
    if (code & SC_E0) {
        q_put(&k->q, 0xe0);
    }
    if (k->set == 1) {
        q_put(&k->q, (code & 0xff) | (down ? 0 : 0x80));
    } else {
        if (!down) {
            q_put(&k->q, 0xf0);
        }
        q_put(&k->q, code & 0xff);
    }
    refill(s);
}

/* ---- mouse ---- */

static void mouse_reset(Ps2Mouse *m)
{
    q_clear(&m->q);
    m->streaming = m->remote = false;
    m->pending_cmd = 0;
    m->rate = 100;
    m->resolution = 2;
    m->scaling = 1;
    m->id = 0;
    m->dx = m->dy = m->dz = 0;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One movement packet from the motion not yet reported. */
static void mouse_packet(Ps2Mouse *m)
{
    int dx = clamp(m->dx, -256, 255), dy = clamp(m->dy, -256, 255);
    int dz = clamp(m->dz, -8, 7);

    q_put(&m->q, 0x08 | (m->buttons & 7) | (dx < 0 ? 0x10 : 0) |
                 (dy < 0 ? 0x20 : 0));
    q_put(&m->q, dx & 0xff);
    q_put(&m->q, dy & 0xff);
    if (m->id == 3) {
        q_put(&m->q, dz & 0x0f);
    }
    m->dx -= dx;
    m->dy -= dy;
    m->dz -= dz;
}

static void mouse_param(Ps2Mouse *m, uint8_t b)
{
    uint8_t cmd = m->pending_cmd;

    m->pending_cmd = 0;
    q_put(&m->q, ACK);
    if (cmd == 0xe8) {
        m->resolution = b & 3;
    } else if (cmd == 0xf3) {
        m->rate = b;
        memmove(m->rate_history, m->rate_history + 1, 2);
        m->rate_history[2] = b;
        if (!memcmp(m->rate_history, "\xc8\x64\x50", 3)) {
            m->id = 3;              /* 200, 100, 80: IntelliMouse */
        }
    }
}

static void mouse_write(I8042 *s, uint8_t b)
{
    Ps2Mouse *m = &s->mouse;

    if (m->pending_cmd) {
        mouse_param(m, b);
        return;
    }
    switch (b) {
    case 0xff:
        mouse_reset(m);
        q_put(&m->q, ACK); q_put(&m->q, 0xaa); q_put(&m->q, 0x00);
        break;
    case 0xf6: mouse_reset(m); q_put(&m->q, ACK); break;
    case 0xf5: m->streaming = false; q_put(&m->q, ACK); break;
    case 0xf4: m->streaming = true; q_put(&m->q, ACK); break;
    case 0xf2: q_put(&m->q, ACK); q_put(&m->q, m->id); break;
    case 0xf0: m->remote = true; q_put(&m->q, ACK); break;
    case 0xea: m->remote = false; q_put(&m->q, ACK); break;
    case 0xe6: m->scaling = 1; q_put(&m->q, ACK); break;
    case 0xe7: m->scaling = 2; q_put(&m->q, ACK); break;
    case 0xeb: q_put(&m->q, ACK); mouse_packet(m); break;
    case 0xe9:
        q_put(&m->q, ACK);
        q_put(&m->q, (m->remote ? 0x40 : 0) | (m->streaming ? 0x20 : 0) |
                     (m->scaling == 2 ? 0x10 : 0) | (m->buttons & 7));
        q_put(&m->q, m->resolution);
        q_put(&m->q, m->rate);
        break;
    case 0xe8: case 0xf3:
        m->pending_cmd = b;
        q_put(&m->q, ACK);
        break;
    default: q_put(&m->q, RESEND); break;
    }
}

static void mouse_event(void *opaque, int dx, int dy, int dz,
                        unsigned buttons)
{
    I8042 *s = opaque;
    Ps2Mouse *m = &s->mouse;

    m->dx += dx;
    m->dy -= dy;                    /* PS/2 y grows upwards */
    m->dz += dz;
    m->buttons = buttons;
    if (m->streaming && !m->remote) {
        mouse_packet(m);
        refill(s);
    }
}

static const EmuInputHandler input_handler = {
    .size = sizeof(EmuInputHandler),
    .name = "i8042",
    .key = kbd_key,
    .mouse = mouse_event,
};

/* ---- controller commands ---- */

static void set_out_port(I8042 *s, uint8_t v)
{
    s->out_port = v | OP_RESET;
    if (s->a20) {
        emu_irq_set(s->a20, (v & OP_A20) != 0);
    }
    if (!(v & OP_RESET) && s->reset) {
        emu_irq_raise(s->reset);    /* a pulse: the line is edge-read */
        emu_irq_lower(s->reset);
    }
}

static void controller_data(I8042 *s, uint8_t cmd, uint8_t b)
{
    switch (cmd) {
    case 0x60:
        s->cmd_byte = b;
        s->status = (s->status & ~ST_SYS) | (b & CB_SYS);
        update_irqs(s);
        break;
    case 0xd1: set_out_port(s, b); break;
    case 0xd2: put_out(s, b, false); break;
    case 0xd3: put_out(s, b, true); break;
    case 0xd4: mouse_write(s, b); break;
    }
}

static void controller_command(I8042 *s, uint8_t cmd)
{
    switch (cmd) {
    case 0x20: put_out(s, s->cmd_byte, false); break;
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        s->pending = cmd;
        break;
    case 0xa7: s->cmd_byte |= CB_AUX_OFF; break;
    case 0xa8: s->cmd_byte &= ~CB_AUX_OFF; break;
    case 0xa9: put_out(s, 0x00, false); break;   /* aux interface ok */
    case 0xaa:                                   /* self test passed */
        s->status |= ST_SYS;
        put_out(s, 0x55, false);
        break;
    case 0xab: put_out(s, 0x00, false); break;   /* kbd interface ok */
    case 0xad: s->cmd_byte |= CB_KBD_OFF; break;
    case 0xae: s->cmd_byte &= ~CB_KBD_OFF; break;
    case 0xc0: put_out(s, 0x80, false); break;   /* input port */
    case 0xd0: put_out(s, s->out_port, false); break;
    case 0xdd: set_out_port(s, s->out_port & ~OP_A20); break;
    case 0xdf: set_out_port(s, s->out_port | OP_A20); break;
    default:
        if ((cmd & 0xf0) == 0xf0) {             /* pulse output bits */
            set_out_port(s, s->out_port & ~(~cmd & 0x0f));
            s->out_port |= OP_RESET;
        } else {
            emu_log_mask_printf(EMU_LOG_UNIMP, "i8042: command 0x%02x\n", cmd);
        }
    }
}

/* ---- ports ---- */

static uint64_t data_read(void *opaque, uint64_t addr, unsigned size)
{
    I8042 *s = opaque;
    uint8_t b = s->out;

    s->status &= ~(ST_OBF | ST_AUXB);
    update_irqs(s);
    refill(s);
    return b;
}

static void data_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    I8042 *s = opaque;
    uint8_t cmd = s->pending;

    s->status &= ~ST_CMD;
    s->pending = 0;
    if (cmd) {
        controller_data(s, cmd, val);
    } else {
        s->cmd_byte &= ~CB_KBD_OFF;     /* writing to it enables it */
        kbd_write(s, val);
    }
    refill(s);
}

static uint64_t cmd_read(void *opaque, uint64_t addr, unsigned size)
{
    return ((I8042 *)opaque)->status;
}

static void cmd_write(void *opaque, uint64_t addr, uint64_t val,
                      unsigned size)
{
    I8042 *s = opaque;

    s->status |= ST_CMD;
    s->pending = 0;
    controller_command(s, val);
    refill(s);
}

static const EmuMemoryOps data_ops = {
    EMU_MEMORY_OPS_HEADER, .read = data_read, .write = data_write,
    .max_access = 1,
};

static const EmuMemoryOps cmd_ops = {
    EMU_MEMORY_OPS_HEADER, .read = cmd_read, .write = cmd_write,
    .max_access = 1,
};

/* ---- lifecycle ---- */

static void i8042_reset(EmuObject *obj)
{
    I8042 *s = I8042(obj);

    s->status = ST_UNINH;
    s->cmd_byte = CB_KBD_INT | CB_AUX_INT | CB_XLATE;
    set_out_port(s, OP_RESET | OP_A20);
    s->pending = 0;
    s->translate_break = false;
    kbd_reset(&s->kbd);
    mouse_reset(&s->mouse);
    update_irqs(s);
}

static void map(I8042 *s, EmuMemoryRegion **mr, const char *name,
                uint32_t port, const EmuMemoryOps *ops)
{
    *mr = emu_mr_new_io(&s->parent, name, 1, ops, s);
    emu_mr_add_subregion(emu_as_root(emu_system_io()), port, *mr, 0);
}

static bool i8042_realize(EmuObject *obj, GError **errp)
{
    I8042 *s = I8042(obj);

    if (s->data_port > 0xffff || s->cmd_port > 0xffff) {
        g_set_error(errp, EMU_ERROR, 0, "i8042: data=0x%x or command=0x%x "
                    "is beyond the I/O space", s->data_port, s->cmd_port);
        return false;
    }
    i8042_reset(obj);
    map(s, &s->data_mr, "i8042-data", s->data_port, &data_ops);
    map(s, &s->cmd_mr, "i8042-cmd", s->cmd_port, &cmd_ops);
    s->input_tag = emu_input_register(&input_handler, s);
    return true;
}

static void i8042_unrealize(EmuObject *obj)
{
    I8042 *s = I8042(obj);

    emu_input_unregister(s->input_tag);
    emu_mr_remove(emu_as_root(emu_system_io()), &s->data_mr);
    emu_mr_remove(emu_as_root(emu_system_io()), &s->cmd_mr);
}

static const EmuProperty i8042_props[] = {
    EMU_PROP_U32("data", I8042, data_port, "0x60", "data port"),
    EMU_PROP_U32("command", I8042, cmd_port, "0x64", "status/command port"),
    EMU_PROP_IRQ("irq", I8042, kbd_irq, "keyboard interrupt (PC: pic.1)"),
    EMU_PROP_IRQ("aux-irq", I8042, aux_irq, "mouse interrupt (PC: pic2.4)"),
    EMU_PROP_IRQ("a20", I8042, a20, "A20 gate output"),
    EMU_PROP_IRQ("reset", I8042, reset, "system reset output (pulsed)"),
    EMU_PROP_END
};

static const EmuTypeInfo i8042_type = {
    EMU_TYPE_HEADER,
    .name = "i8042",
    .parent = "device",
    .description = "i8042 keyboard controller with PS/2 keyboard and mouse",
    .instance_size = sizeof(I8042),
    .props = i8042_props,
    .realize = i8042_realize,
    .unrealize = i8042_unrealize,
    .reset = i8042_reset,
};

static bool dev_ps2_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&i8042_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-ps2",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "The PC keyboard controller with PS/2 keyboard and mouse",
    .provides = (const char *const[]){ "device:i8042", NULL },
    .init = dev_ps2_init,
};

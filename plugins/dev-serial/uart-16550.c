/*
 * uart-16550: the 16550A UART of the PC serial ports (COM1 at 0x3f8).
 *
 * Eight I/O ports: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, with the
 * divisor latch (DLL/DLM) behind LCR bit 7.  16-byte receive FIFO with the
 * four trigger levels and the character-timeout interrupt; loopback
 * (MCR bit 4) wires the transmitter to the receiver and the modem control
 * outputs to the status inputs.  The transmitter sends each byte to the
 * chardev at once, so THR is always empty again after a write; input
 * comes from the chardev no faster than the FIFO takes it.  The IRQ line
 * follows the interrupt pending bit regardless of OUT2, as other
 * emulators do.  Device code runs under the big lock.
 */
#include <string.h>
#include <emu/emu.h>

#define UART_FIFO_SIZE 16
#define UART_CLOCK_HZ 1843200       /* baud = clock / 16 / divisor */

/* IER */
#define IER_RDI   0x01
#define IER_THRI  0x02
#define IER_RLSI  0x04
#define IER_MSI   0x08
/* IIR */
#define IIR_NO_INT 0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_RLSI  0x06
#define IIR_CTI   0x0c
#define IIR_FIFO  0xc0
/* FCR */
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
/* LCR */
#define LCR_DLAB 0x80
/* MCR */
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
/* LSR */
#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)
/* MSR */
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_DELTAS 0x0f

typedef struct Uart16550 {
    EmuObject parent;
    /* properties */
    uint32_t io_base;
    EmuIrq *irq;
    EmuObject *chardev_obj;
    /* registers */
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_head;
    uint8_t rx_count;
    uint8_t ier;
    uint8_t fcr;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;
    uint8_t msr;
    uint8_t scr;
    uint8_t dll;
    uint8_t dlm;
    bool thr_ipending;
    bool timeout_ipending;
    /* runtime */
    EmuChardev *chr;
    int chr_tag;
    EmuMemoryRegion *mr;
    EmuTimer *timeout_timer;
    int irq_level;
} Uart16550;

#define UART(obj) EMU_CAST(Uart16550, obj, "uart-16550")

/* ---- interrupts ---- */

static bool uart_fifo_on(Uart16550 *s)
{
    return s->fcr & FCR_ENABLE;
}

static unsigned uart_rx_trigger(Uart16550 *s)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };

    return uart_fifo_on(s) ? levels[s->fcr >> 6] : 1;
}

/* The pending interrupt of highest priority, as IIR bits 3:0. */
static uint8_t uart_pending(Uart16550 *s)
{
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_ERRS)) {
        return IIR_RLSI;
    }
    if ((s->ier & IER_RDI) && s->timeout_ipending) {
        return IIR_CTI;
    }
    if ((s->ier & IER_RDI) && s->rx_count >= uart_rx_trigger(s)) {
        return IIR_RDI;
    }
    if ((s->ier & IER_THRI) && s->thr_ipending) {
        return IIR_THRI;
    }
    if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS)) {
        return IIR_MSI;
    }
    return IIR_NO_INT;
}

static void uart_update_irq(Uart16550 *s)
{
    int level = uart_pending(s) != IIR_NO_INT;

    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq) {
            emu_irq_set(s->irq, level);
        }
    }
}

/* ---- receiver ---- */

static int64_t uart_char_time_ns(Uart16550 *s)
{
    unsigned divisor = (s->dlm << 8 | s->dll) ? (s->dlm << 8 | s->dll) : 1;
    int64_t baud = UART_CLOCK_HZ / 16 / divisor;

    return 10 * 1000000000LL / (baud ? baud : 1);  /* start+8+stop bits */
}

static void uart_arm_timeout(Uart16550 *s)
{
    if (uart_fifo_on(s) && s->rx_count) {
        emu_timer_mod(s->timeout_timer, emu_clock_get_ns(EMU_CLOCK_VIRTUAL)
                      + 4 * uart_char_time_ns(s));
    } else {
        emu_timer_del(s->timeout_timer);
    }
}

static void uart_timeout(void *opaque)
{
    Uart16550 *s = opaque;

    if (s->rx_count) {
        s->timeout_ipending = true;
        uart_update_irq(s);
    }
}

static void uart_receive_byte(Uart16550 *s, uint8_t byte)
{
    unsigned cap = uart_fifo_on(s) ? UART_FIFO_SIZE : 1;

    if (s->rx_count >= cap) {
        s->lsr |= LSR_OE;       /* the new byte is lost */
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

static void uart_rx_clear(Uart16550 *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->lsr &= ~LSR_DR;
    s->timeout_ipending = false;
    emu_timer_del(s->timeout_timer);
}

static uint8_t uart_read_rbr(Uart16550 *s)
{
    uint8_t byte = 0;

    if (s->rx_count) {
        byte = s->rx_fifo[s->rx_head];
        s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
        s->rx_count--;
    }
    if (!s->rx_count) {
        s->lsr &= ~LSR_DR;
    }
    s->timeout_ipending = false;
    uart_arm_timeout(s);
    uart_update_irq(s);
    if (s->chr && !(s->mcr & MCR_LOOP)) {
        emu_chr_accept_input(s->chr);
    }
    return byte;
}

/* ---- transmitter ---- */

static void uart_write_thr(Uart16550 *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP) {
        uart_receive_byte(s, byte);
        uart_arm_timeout(s);
    } else if (s->chr) {
        emu_chr_write(s->chr, &byte, 1);
    }
    /* Sent at once: the holding register is empty again. */
    s->lsr |= LSR_THRE | LSR_TEMT;
    s->thr_ipending = true;
    uart_update_irq(s);
}

/* ---- modem lines ---- */

static uint8_t uart_msr_lines(Uart16550 *s)
{
    if (s->mcr & MCR_LOOP) {
        return (s->mcr & MCR_RTS ? MSR_CTS : 0) |
               (s->mcr & MCR_DTR ? MSR_DSR : 0) |
               (s->mcr & MCR_OUT1 ? MSR_RI : 0) |
               (s->mcr & MCR_OUT2 ? MSR_DCD : 0);
    }
    return MSR_CTS | MSR_DSR | MSR_DCD;     /* a peer is always there */
}

static void uart_update_msr(Uart16550 *s)
{
    uint8_t old = s->msr, now = uart_msr_lines(s);
    uint8_t changed = (old ^ now) & 0xf0;

    s->msr = (s->msr & MSR_DELTAS) | now;
    s->msr |= (changed & MSR_CTS ? MSR_DCTS : 0) |
              (changed & MSR_DSR ? MSR_DDSR : 0) |
              (changed & MSR_DCD ? MSR_DDCD : 0) |
              ((old & MSR_RI) && !(now & MSR_RI) ? MSR_TERI : 0);
}

/* ---- register access ---- */

static void uart_write_fcr(Uart16550 *s, uint8_t val)
{
    if ((val ^ s->fcr) & FCR_ENABLE) {
        uart_rx_clear(s);       /* switching FIFO mode empties them */
    }
    if (val & FCR_CLEAR_RX) {
        uart_rx_clear(s);
    }
    s->fcr = val & (FCR_ENABLE | 0xc0);
    uart_update_irq(s);
}

static void uart_io_write(void *opaque, uint64_t addr, uint64_t val,
                          unsigned size)
{
    Uart16550 *s = opaque;
    bool dlab = s->lcr & LCR_DLAB;

    switch (addr) {
    case 0:
        if (dlab) {
            s->dll = val;
        } else {
            uart_write_thr(s, val);
        }
        break;
    case 1:
        if (dlab) {
            s->dlm = val;
            break;
        }
        /* Enabling THRI with THR empty raises it at once. */
        if ((val & IER_THRI) && !(s->ier & IER_THRI) &&
            (s->lsr & LSR_THRE)) {
            s->thr_ipending = true;
        }
        s->ier = val & 0x0f;
        uart_update_irq(s);
        break;
    case 2:
        uart_write_fcr(s, val);
        break;
    case 3:
        s->lcr = val;
        break;
    case 4:
        s->mcr = val & 0x1f;
        uart_update_msr(s);
        uart_update_irq(s);
        if (s->chr && !(s->mcr & MCR_LOOP)) {
            emu_chr_accept_input(s->chr);
        }
        break;
    case 7:
        s->scr = val;
        break;
    default:
        break;                  /* LSR, MSR: read-only */
    }
}

static uint8_t uart_read_iir(Uart16550 *s)
{
    uint8_t id = uart_pending(s);

    if (id == IIR_THRI) {
        s->thr_ipending = false;    /* reading IIR acknowledges it */
        uart_update_irq(s);
    }
    return id | (uart_fifo_on(s) ? IIR_FIFO : 0);
}

static uint8_t uart_read_lsr(Uart16550 *s)
{
    uint8_t val = s->lsr;

    s->lsr &= ~LSR_ERRS;
    uart_update_irq(s);
    return val;
}

static uint8_t uart_read_msr(Uart16550 *s)
{
    uint8_t val = s->msr;

    s->msr &= ~MSR_DELTAS;
    uart_update_irq(s);
    return val;
}

static uint64_t uart_io_read(void *opaque, uint64_t addr, unsigned size)
{
    Uart16550 *s = opaque;
    bool dlab = s->lcr & LCR_DLAB;

    switch (addr) {
    case 0: return dlab ? s->dll : uart_read_rbr(s);
    case 1: return dlab ? s->dlm : s->ier;
    case 2: return uart_read_iir(s);
    case 3: return s->lcr;
    case 4: return s->mcr;
    case 5: return uart_read_lsr(s);
    case 6: return uart_read_msr(s);
    case 7: return s->scr;
    default: return 0xff;
    }
}

static const EmuMemoryOps uart_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = uart_io_read,
    .write = uart_io_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- chardev frontend ---- */

static int uart_can_read(void *opaque)
{
    Uart16550 *s = opaque;

    if (s->mcr & MCR_LOOP) {
        return 0;               /* the line is looped back */
    }
    return (uart_fifo_on(s) ? UART_FIFO_SIZE : 1) - s->rx_count;
}

static void uart_chr_read(void *opaque, const uint8_t *buf, size_t len)
{
    Uart16550 *s = opaque;

    for (size_t i = 0; i < len; i++) {
        uart_receive_byte(s, buf[i]);
    }
    uart_arm_timeout(s);
    uart_update_irq(s);
}

static void uart_chr_event(void *opaque, EmuCharEvent ev)
{
    Uart16550 *s = opaque;

    if (ev == EMU_CHR_EVENT_BREAK) {
        s->lsr |= LSR_BI;
        uart_receive_byte(s, 0);
        uart_update_irq(s);
    }
}

static const EmuCharHandlers uart_chr_handlers = {
    .size = sizeof(EmuCharHandlers),
    .can_read = uart_can_read,
    .read = uart_chr_read,
    .event = uart_chr_event,
};

/* ---- lifecycle ---- */

static void uart_reset(EmuObject *obj)
{
    Uart16550 *s = UART(obj);

    uart_rx_clear(s);
    s->ier = 0;
    s->fcr = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = uart_msr_lines(s);
    s->scr = 0;
    s->dll = 12;                /* 9600 baud */
    s->dlm = 0;
    s->thr_ipending = false;
    uart_update_irq(s);
}

static void uart_init(EmuObject *obj)
{
    Uart16550 *s = UART(obj);

    s->chr_tag = -1;
    s->timeout_timer = emu_timer_new(EMU_CLOCK_VIRTUAL, uart_timeout, s);
}

static bool uart_realize(EmuObject *obj, GError **errp)
{
    Uart16550 *s = UART(obj);

    if (s->io_base > 0xfff8) {
        g_set_error(errp, EMU_ERROR, 0, "uart-16550: io=0x%x is beyond the "
                    "I/O space", s->io_base);
        return false;
    }
    if (s->chardev_obj) {
        s->chr = emu_chr_from_object(s->chardev_obj);
        s->chr_tag = emu_chr_attach(s->chr, &uart_chr_handlers, s, errp);
        if (s->chr_tag < 0) {
            s->chr = NULL;
            return false;
        }
    }
    uart_reset(obj);
    s->mr = emu_mr_new_io(obj, "uart-16550", 8, &uart_ops, s);
    emu_mr_add_subregion(emu_as_root(emu_system_io()), s->io_base, s->mr, 0);
    return true;
}

static void uart_unrealize(EmuObject *obj)
{
    Uart16550 *s = UART(obj);

    emu_mr_remove(emu_as_root(emu_system_io()), &s->mr);
    if (s->chr) {
        emu_chr_detach(s->chr, s->chr_tag);
        s->chr = NULL;
    }
}

static void uart_finalize(EmuObject *obj)
{
    emu_timer_free(UART(obj)->timeout_timer);
}

/* ---- description ---- */

static const EmuProperty uart_props[] = {
    EMU_PROP_U32("io", Uart16550, io_base, "0x3f8", "I/O base port"),
    EMU_PROP_IRQ("irq", Uart16550, irq, "interrupt line (e.g. pic.4)"),
    EMU_PROP_LINK("chardev", Uart16550, chardev_obj, "chardev",
                  "character backend for the line"),
    EMU_PROP_END
};

static const EmuStateField uart_state_fields[] = {
    EMU_STATE_BUFFER(Uart16550, rx_fifo),
    EMU_STATE_U8(Uart16550, rx_head),
    EMU_STATE_U8(Uart16550, rx_count),
    EMU_STATE_U8(Uart16550, ier),
    EMU_STATE_U8(Uart16550, fcr),
    EMU_STATE_U8(Uart16550, lcr),
    EMU_STATE_U8(Uart16550, mcr),
    EMU_STATE_U8(Uart16550, lsr),
    EMU_STATE_U8(Uart16550, msr),
    EMU_STATE_U8(Uart16550, scr),
    EMU_STATE_U8(Uart16550, dll),
    EMU_STATE_U8(Uart16550, dlm),
    EMU_STATE_BOOL(Uart16550, thr_ipending),
    EMU_STATE_BOOL(Uart16550, timeout_ipending),
    EMU_STATE_END
};

static const EmuStateDesc uart_state = {
    .name = "uart-16550",
    .version = 1,
    .fields = uart_state_fields,
};

static void uart_post_load(EmuObject *obj)
{
    Uart16550 *s = UART(obj);

    s->irq_level = -1;
    uart_update_irq(s);
    uart_arm_timeout(s);
}

static const EmuTypeInfo uart_type = {
    EMU_TYPE_HEADER,
    .name = "uart-16550",
    .parent = "device",
    .description = "16550A UART (PC serial port)",
    .instance_size = sizeof(Uart16550),
    .props = uart_props,
    .init = uart_init,
    .realize = uart_realize,
    .unrealize = uart_unrealize,
    .reset = uart_reset,
    .finalize = uart_finalize,
    .state = &uart_state,
    .post_load = uart_post_load,
};

static bool dev_serial_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&uart_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-serial",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "Serial ports: the 16550A UART",
    .provides = (const char *const[]){ "device:uart-16550", NULL },
    .init = dev_serial_init,
};

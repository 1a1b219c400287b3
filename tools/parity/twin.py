"""A PyTorch twin of Distill Lab's training step, written from ../shared/spec/algorithms.md.

usage: /usr/bin/python3 tools/parity/twin.py [--dtype float32] DUMPDIR [DUMPDIR ...]
       (float64 by default; --dtype float32 shows how far float32 rounding alone drifts)

Each DUMPDIR is written by `npm run lab -- parity` (src/cli/parity.ts):
  dump.json             recipe, model configs, loss knobs, optimiser and schedule constants,
                        and per step: the group size, every model's token ids / masks / segment
                        ids, the LEAD layer pairs, the lab's learning rate (for a cross-check)
  student.safetensors   the student's initial weights (HF names), F32
  teacher.safetensors   the teacher's initial weights, F32
The twin replays the same steps in float64 with torch's own AdamW and clip_grad_norm_ and
writes, next to them:
  torch.json                   per step every loss term, the total, the pre-clip gradient
                               norms, the learning rates and LEAD's layer weights
  torch_student.safetensors    the student's final weights, F64
  torch_teacher.safetensors    the teacher's final weights (joint LEAD only), F64
With --dtype float32 the same files are named torch_f32* (a control: how far float32 rounding
alone takes PyTorch from its float64 run).

Written from the spec, not from the TypeScript: section 1 (encoders, DE pooling and
similarity, ColBERT MaxSim, CE head), 2 (score matrices, cutting to groups), 3 (losses),
7 (optimiser). Constants the spec leaves open come from dump.json (the lab's choices):
Adam betas and eps, the clipping epsilon and scope, the warm-up rule, the attention mask bias.
Only torch is needed (no numpy, no safetensors package): one thread, float64.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DTYPE = torch.float64


# ---------------------------------------------------------------------------------------
# safetensors (the format is a u64 header length, a JSON header, then raw little-endian data)

def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    base = 8 + n
    kinds = {'F32': torch.float32, 'F64': torch.float64}
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        s, t = e['data_offsets']
        buf = bytearray(raw[base + s:base + t])
        x = torch.frombuffer(buf, dtype=kinds[e['dtype']]) if len(buf) else torch.zeros(0, dtype=kinds[e['dtype']])
        out[name] = x.reshape(e['shape']).to(DTYPE)
    return out


def write_safetensors(path, tensors):
    header = {'__metadata__': {'format': 'pt', 'writer': 'distill-lab parity twin'}}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        values = t.detach().to(torch.float64).flatten().tolist()
        data = struct.pack(f'<{len(values)}d', *values)
        header[name] = {'dtype': 'F64', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    js = json.dumps(header).encode('utf-8')
    js += b' ' * ((8 - len(js) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------------------------------
# Section 1: a post-LayerNorm BERT encoder (HF BertModel), every block's output h^1..h^L

def gelu(x):
    # the exact GELU: x * Phi(x)
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def linear(W, name, x):
    # HF Linear: weight [out, in], bias [out]
    return F.linear(x, W[name + '.weight'], W.get(name + '.bias'))


def encode(W, cfg, consts, prefix, seq):
    """seq: {'ids', 'mask', 'type_ids'} of [N, T] -> list of L tensors [N, T, H]."""
    p = prefix
    ids, mask, types = seq['ids'], seq['mask'], seq['type_ids']
    N, T = ids.shape
    H, nh = cfg['hidden'], cfg['heads']
    dh = H // nh
    eps = cfg.get('layerNormEps', 1e-12)
    ln = lambda name, x: F.layer_norm(x, (H,), W[name + '.weight'], W[name + '.bias'], eps)
    x = (W[p + 'embeddings.word_embeddings.weight'][ids]
         + W[p + 'embeddings.position_embeddings.weight'][:T][None]
         + W[p + 'embeddings.token_type_embeddings.weight'][types])  # [N, T, H]
    x = ln(p + 'embeddings.LayerNorm', x)
    bias = (1.0 - mask)[:, None, None, :] * consts['attention_mask_bias']  # [N, 1, 1, T]
    split = lambda t: t.reshape(N, T, nh, dh).transpose(1, 2)  # [N, nh, T, dh]
    hidden = []
    for l in range(cfg['layers']):
        b = f'{p}encoder.layer.{l}.'
        q = split(linear(W, b + 'attention.self.query', x))
        k = split(linear(W, b + 'attention.self.key', x))
        v = split(linear(W, b + 'attention.self.value', x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)  # [N, nh, T, T]
        ctx = (att @ v).transpose(1, 2).reshape(N, T, H)
        a = ln(b + 'attention.output.LayerNorm', x + linear(W, b + 'attention.output.dense', ctx))
        f = linear(W, b + 'output.dense', gelu(linear(W, b + 'intermediate.dense', a)))
        x = ln(b + 'output.LayerNorm', a + f)
        hidden.append(x)
    return hidden


# The smallest relative gap between the largest and the second largest entry of every max this
# step took (DE max pooling, ColBERT MaxSim): where it is ~1e-6, float32 rounding may pick the
# other entry, and the gradient goes to another token (max is not smooth there).
GAPS = []


def note_gap(x, dim, valid=None):
    with torch.no_grad():
        top = x.topk(2, dim=dim).values
        a, b = top.select(dim, 0), top.select(dim, 1)
        gap = (a - b) / a.abs().clamp_min(1.0)
        if valid is not None:
            gap = gap[valid]
        if gap.numel():
            GAPS.append(float(gap.min()))


def unit(x):
    # x / ||x||_2 along the last axis
    return x / x.norm(dim=-1, keepdim=True)


def de_vector(cfg, h, mask):
    """Section 1, DE pooling: h [N, T, H], mask [N, T] -> [N, H]."""
    pooling = cfg.get('pooling', 'cls')
    if pooling == 'cls':
        v = h[:, 0]
    elif pooling == 'mean':
        v = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    elif pooling == 'max':
        hm = h.masked_fill(mask[:, :, None] == 0, float('-inf'))
        note_gap(hm, 1)
        v = hm.max(1).values
    else:
        raise ValueError(f'unknown pooling {pooling}')
    if cfg.get('normalize', False):
        v = unit(v)
    return v


def de_scores(cfg, hq, qmask, hp, pmask):
    """[B, P]: dot or cosine of the pooled vectors, over the score temperature."""
    q, p = de_vector(cfg, hq, qmask), de_vector(cfg, hp, pmask)
    if cfg.get('similarity', 'dot') == 'cosine':
        q, p = unit(q), unit(p)
    return (q @ p.T) / cfg.get('scoreTemperature', 1.0)


def maxsim(eq, qmask, ep, pmask):
    """ColBERT MaxSim: eq [B, Tq, D], ep [P, Tp, D] -> [B, P]."""
    sim = torch.einsum('bid,pjd->bpij', eq, ep)  # [B, P, Tq, Tp]
    sim = sim.masked_fill(pmask[None, :, None, :] == 0, float('-inf'))
    note_gap(sim, -1, (qmask[:, None, :] > 0).expand(sim.shape[:3]))
    best = sim.max(-1).values  # [B, P, Tq]: best passage token per query token
    return (best * qmask[:, None, :]).sum(-1)


class Model:
    def __init__(self, cfg, weights, consts):
        self.cfg = cfg
        self.consts = consts
        self.W = {k: v.clone().requires_grad_(True) for k, v in weights.items()}

    def params(self):
        return list(self.W.items())

    def scores(self, batch, G, layers):
        """-> (final, [layer score matrices in the order of `layers`]) per section 2."""
        cfg, W = self.cfg, self.W
        kind = cfg['kind']
        if kind == 'ce':
            seq = batch['pairs']
            hs = encode(W, cfg, self.consts, '', seq)
            B = seq['ids'].shape[0] // G

            def head(h):
                c = h[:, 0]
                if cfg.get('cePooler', False):
                    c = torch.tanh(linear(W, 'pooler.dense', c))
                return linear(W, 'classifier', c).reshape(B, G)  # [B, G]
            return head(hs[-1]), [head(hs[l]) for l in layers]
        qs, ps = batch['queries'], batch['passages']
        shared = cfg.get('shareEncoders', True)
        hq = encode(W, cfg, self.consts, '', qs)
        hp = encode(W, cfg, self.consts, '' if shared else 'passage_encoder.', ps)
        if kind == 'de':
            s = lambda l: de_scores(cfg, hq[l], qs['mask'], hp[l], ps['mask'])
            return s(-1), [s(l) for l in layers]
        if kind == 'cb':
            def tokens(h):
                if cfg.get('colbertDim') is not None:
                    h = h @ W['linear.weight'].T
                return unit(h)
            final = maxsim(tokens(hq[-1]), qs['mask'], tokens(hp[-1]), ps['mask'])
            return final, [maxsim(hq[l], qs['mask'], hp[l], ps['mask']) for l in layers]
        raise ValueError(f'unknown model kind {kind}')


# ---------------------------------------------------------------------------------------
# Sections 2 and 3: score shapes and losses

def cut_to_groups(S, G):
    """[B, B*G] -> [B, G]: row i keeps columns i*G .. i*G+G-1."""
    B = S.shape[0]
    return torch.stack([S[i, i * G:(i + 1) * G] for i in range(B)])


def align(t, s, G):
    """Section 2: when one matrix is [B, G] and the other [B, P], the [B, P] one is cut."""
    if t.shape == s.shape:
        return t, s
    if t.shape[1] == G:
        return t, cut_to_groups(s, G)
    return cut_to_groups(t, G), s


def positives(S, G):
    B, N = S.shape
    return torch.tensor([i * G if N == B * G and N != G else 0 for i in range(B)])


def nll(S, G):
    """(3.1) mean_i -log_softmax(S)_i[pos_i]."""
    return F.cross_entropy(S, positives(S, G), reduction='mean')


def kl_batchmean(target_logits, logits):
    """batchmean KL(softmax(target) || softmax(logits)): sum over the matrix / B."""
    logp = torch.log_softmax(target_logits, -1)
    logq = torch.log_softmax(logits, -1)
    return (logp.exp() * (logp - logq)).sum() / target_logits.shape[0]


def resp_lead(St, Ss, tau, G):
    """(3.2) batchmean KL(softmax(S_t / tau) || softmax(S_s))."""
    t, s = align(St, Ss, G)
    return kl_batchmean(t / tau, s)


def resp_prod(St, Ss, T, G):
    """(3.3) T^2 batchmean KL(softmax(S_t / T) || softmax(S_s / T))."""
    t, s = align(St, Ss, G)
    return T * T * kl_batchmean(t / T, s / T)


def step_loss(d, step, student, teacher, prev):
    """One batch's objective -> (total, {term: tensor}, layer weights or None)."""
    rec = d['recipe']
    G = step['group_size']
    pairs = step.get('pairs')
    kind = rec['kind']
    Sfin, Slay = student.scores(step['student'], G, pairs['student'] if kind == 'lead' else [])
    if kind == 'baseline':
        n = nll(Sfin, G)
        return n, {'nll': n}, None
    if kind == 'kd':
        with torch.no_grad():
            Tfin, _ = teacher.scores(step['teacher'], G, [])
        t, s = align(Tfin, Sfin, G)
        n = nll(s, G)
        r = resp_prod(t, s, rec['temperature'], G) if rec['form'] == 'prod' else resp_lead(t, s, rec['temperature'], G)
        return rec['wStudent'] * n + rec['wResponse'] * r, {'nll': n, 'response': r}, None
    if kind == 'lead':
        joint = rec['joint']
        if joint:
            Tfin, Tlay = teacher.scores(step['teacher'], G, pairs['teacher'])
        else:
            with torch.no_grad():
                Tfin, Tlay = teacher.scores(step['teacher'], G, pairs['teacher'])
        tau = rec['tau']
        t, s = align(Tfin, Sfin, G)
        n = nll(s, G)
        r = resp_lead(t, s, tau, G)
        kls = [resp_lead(tl, sl, tau, G) for tl, sl in zip(Tlay, Slay)]  # (3.4) KL_j
        if rec['reweight']:
            # lambda = softmax(-L_nll(S_t^j) / layer_temperature), constants
            c = torch.stack([-nll(tl.detach(), G) for tl in Tlay]) / rec['layerTemperature']
            lam = torch.softmax(c, 0).detach()
        else:
            lam = torch.full((len(kls),), float(rec['wLayer']), dtype=DTYPE)
        layer = (lam * torch.stack(kls)).sum() if kls else torch.zeros((), dtype=DTYPE)
        total = rec['wStudent'] * n + rec['wResponse'] * r + layer  # (3.5)
        terms = {'nll': n, 'response': r, 'layer': layer}
        if joint:
            # the teacher's own terms (3.5, joint): S_s is a constant in them
            tn = nll(t, G)
            tr = kl_batchmean(s.detach() / tau, t)
            terms['teacher_nll'] = tn
            terms['teacher_response'] = tr
            total = total + rec['wTeacher'] * tn + rec['wResponse'] * tr
        return total, terms, lam
    if kind == 'prod':
        T = rec['temperature']
        with torch.no_grad():
            Tfin, _ = teacher.scores(step['teacher'], G, [])
            Pfin = prev.scores(step['student'], G, [])[0] if prev is not None else None
        t, s = align(Tfin, Sfin, G)  # (3.6): S_s cut to the teacher's shape
        n = nll(s, G)
        kd = resp_prod(t, s, T, G)
        total = rec['wCe'] * n + rec['wKd'] * kd
        terms = {'nll': n, 'kd': kd}
        if Pfin is not None:
            lwf = resp_prod(Pfin, s, T, G)
            terms['lwf'] = lwf
            total = total + rec['wLwf'] * lwf
        return total, terms, None
    raise ValueError(f'unknown recipe {kind}')


# ---------------------------------------------------------------------------------------
# Section 7: AdamW (torch's), no decay on biases and LayerNorm, linear warm-up / decay, clipping

NO_DECAY = ('bias', 'LayerNorm.weight')  # as the reference scripts' no_decay list


def make_optimizer(model, opt):
    named = model.params()
    groups = [
        {'params': [p for n, p in named if not any(nd in n for nd in NO_DECAY)], 'weight_decay': opt['weight_decay']},
        {'params': [p for n, p in named if any(nd in n for nd in NO_DECAY)], 'weight_decay': 0.0},
    ]
    return torch.optim.AdamW(groups, lr=0.0, betas=(opt['beta1'], opt['beta2']), eps=opt['eps'], foreach=False)


def schedule_lr(step, sch):
    """Hugging Face get_linear_schedule_with_warmup's factor times the peak (0-based step)."""
    w, total = sch['warmup_steps'], sch['total_steps']
    if step < w:
        f = step / max(1, w)
    else:
        f = max(0.0, (total - step) / max(1, total - w))
    return sch['peak_lr'] * f


def clip(params, opt):
    """Pre-clip global L2 norm of the gradients; scales them by min(1, max / (norm + 1e-6))."""
    ps = [p for p in params if p.grad is not None]
    return float(torch.nn.utils.clip_grad_norm_(ps, opt['clip_norm'])) if ps else 0.0


def to_seq(s):
    return {
        'ids': torch.tensor(s['ids'], dtype=torch.long).reshape(s['n'], s['t']),
        'mask': torch.tensor(s['mask'], dtype=DTYPE).reshape(s['n'], s['t']),
        'type_ids': torch.tensor(s['type_ids'], dtype=torch.long).reshape(s['n'], s['t']),
    }


def to_batch(b):
    if b['kind'] == 'pairs':
        return {'pairs': to_seq(b['pairs'])}
    return {'queries': to_seq(b['queries']), 'passages': to_seq(b['passages'])}


def run(dump_dir):
    with open(os.path.join(dump_dir, 'dump.json')) as f:
        d = json.load(f)
    consts = d['constants']
    opt = d['optimizer']
    sch = d['schedule']
    if int(sch['warmup_fraction'] * sch['total_steps']) != sch['warmup_steps']:
        raise ValueError('schedule: warmup_steps is not int(warmup_fraction * total_steps)')
    rec = d['recipe']
    joint = rec['kind'] == 'lead' and rec['joint']
    student = Model(d['student']['config'], read_safetensors(os.path.join(dump_dir, 'student.safetensors')), consts)
    teacher = None
    if rec['kind'] != 'baseline':
        teacher = Model(d['teacher']['config'], read_safetensors(os.path.join(dump_dir, 'teacher.safetensors')), consts)
        if not joint:
            for p in teacher.W.values():
                p.requires_grad_(False)
    prev = None
    if rec['kind'] == 'prod' and rec.get('lwf', True):
        # LwF: a frozen copy of the student as it entered the stage
        prev = Model(d['student']['config'], {k: v.detach() for k, v in student.W.items()}, consts)
        for p in prev.W.values():
            p.requires_grad_(False)
    s_opt = make_optimizer(student, opt)
    t_opt = make_optimizer(teacher, opt) if joint else None
    t_scale = d.get('teacher_lr_scale', 1.0)
    s_params = [p for _, p in student.params()]
    t_params = [p for _, p in teacher.params()] if joint else []
    # Largest |gradient| of every tensor over the run: tensors whose float64 gradient stays at
    # rounding level have a zero gradient in exact arithmetic (e.g. attention key biases:
    # the softmax over keys ignores q . b_k), reported so the comparison can set them apart.
    track = [(student, {})] + ([(teacher, {})] if joint else [])
    norm_max = 0.0
    out_steps = []
    for i, step in enumerate(d['steps']):
        step = dict(step)
        step['student'] = to_batch(step['student'])
        if 'teacher' in step:
            step['teacher'] = to_batch(step['teacher'])
        for o in (s_opt, t_opt):
            if o is not None:
                o.zero_grad(set_to_none=True)
        GAPS.clear()
        total, terms, lam = step_loss(d, step, student, teacher, prev)
        total.backward()
        for model, gmax in track:
            for n, p in model.params():
                if p.grad is not None:
                    gmax[n] = max(gmax.get(n, 0.0), float(p.grad.abs().max()))
        if opt.get('clip_scope', 'per_model') == 'global':
            g_s = clip(s_params + t_params, opt)
            g_t = g_s if joint else None
        else:
            g_s = clip(s_params, opt)
            g_t = clip(t_params, opt) if joint else None
        norm_max = max(norm_max, g_s, g_t or 0.0)
        lr = schedule_lr(i, sch)
        for g in s_opt.param_groups:
            g['lr'] = lr
        s_opt.step()
        if t_opt is not None:
            for g in t_opt.param_groups:
                g['lr'] = lr * t_scale
            t_opt.step()
        rec_step = {
            'step': i + 1,
            'total': float(total),
            'terms': {k: float(v) for k, v in terms.items()},
            'grad_norm': g_s,
            'lr': lr,
        }
        if g_t is not None:
            rec_step['grad_norm_teacher'] = g_t
        if lam is not None:
            rec_step['layer_weights'] = [float(x) for x in lam]
        if GAPS:
            rec_step['min_max_gap'] = min(GAPS)
        out_steps.append(rec_step)
    out = 'torch' if DTYPE == torch.float64 else 'torch_f32'
    write_safetensors(os.path.join(dump_dir, f'{out}_student.safetensors'), {k: v for k, v in student.W.items()})
    if joint:
        write_safetensors(os.path.join(dump_dir, f'{out}_teacher.safetensors'), {k: v for k, v in teacher.W.items()})
    zero = {}
    for (model, gmax), role in zip(track, ['student', 'teacher']):
        zero[role] = [n for n, _ in model.params() if gmax.get(n, 0.0) <= 1e-9 * norm_max]
    result = {
        'zero_gradient': zero,
        'precision': str(DTYPE).replace('torch.', ''),
        'torch_version': torch.__version__,
        'threads': torch.get_num_threads(),
        'steps': out_steps,
    }
    with open(os.path.join(dump_dir, f'{out}.json'), 'w') as f:
        json.dump(result, f)


def main(argv):
    global DTYPE
    args = argv[1:]
    if args[:1] == ['--dtype']:
        DTYPE = {'float64': torch.float64, 'float32': torch.float32}[args[1]]
        args = args[2:]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    for dump_dir in args:
        run(dump_dir)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

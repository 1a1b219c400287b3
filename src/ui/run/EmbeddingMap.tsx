import { memo, useMemo, useState } from 'react';
import type { EmbeddingEvent, ModelRole } from '../../core/train/events';
import { ChartFrame } from '../chart/ChartFrame';
import { SelectField } from '../controls';
import { truncate } from '../format';
import type { RunViewState } from '../runState';

type Point = EmbeddingEvent['points'][number];

const W = 300;
const H = 260;
const PAD = 14;
const GAP = 40;

function scaler(points: Point[]) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
  }
  const sx = x1 > x0 ? (W - 2 * PAD) / (x1 - x0) : 1;
  const sy = y1 > y0 ? (H - 2 * PAD) / (y1 - y0) : 1;
  return (p: Point) => ({ x: PAD + (p.x - x0) * sx, y: H - PAD - (p.y - y0) * sy });
}

/** Teacher and student embeddings of the same items, side by side, linked by id (redrawn only when new ones arrive). */
export const EmbeddingMap = memo(function EmbeddingMap({ state }: { state: RunViewState }) {
  const ev = state.embeddings;
  const [active, setActive] = useState<string | null>(null);
  const layout = useMemo(() => {
    if (!ev) return null;
    const byRole: Record<ModelRole, Point[]> = { teacher: [], student: [] };
    for (const p of ev.points) byRole[p.role].push(p);
    const place = { teacher: scaler(byRole.teacher), student: scaler(byRole.student) };
    const pos = new Map<string, { teacher?: { x: number; y: number }; student?: { x: number; y: number }; label: string; kind: Point['kind'] }>();
    for (const role of ['teacher', 'student'] as const) {
      for (const p of byRole[role]) {
        const at = place[role](p);
        const e = pos.get(p.id) ?? { label: p.label, kind: p.kind };
        e[role] = role === 'student' ? { x: at.x + W + GAP, y: at.y } : at;
        pos.set(p.id, e);
      }
    }
    return { byRole, pos };
  }, [ev]);

  const explain = (
    <>
      The same queries and passages embedded by the teacher (left) and the student (right), each projected to two dimensions
      ({ev?.method ?? 'a linear projection'}). Squares are queries, circles passages. Hover or pick an item to highlight it in both
      maps and join the two positions: distillation succeeds when the student's neighbourhoods look like the teacher's,
      queries landing near their relevant passages, even though the two models share no vocabulary or width (section 1; only
      scores meet in the losses 3.2 and 3.4).
    </>
  );
  if (!ev || !layout || ev.points.length === 0) {
    return <ChartFrame id="embeddings" title="Embeddings, teacher and student" formulas={['1']} explain={explain} empty="Appears when the run projects a sample of teacher and student embeddings (after evaluations)." />;
  }
  const ids = [...layout.pos.keys()];
  const act = active ? layout.pos.get(active) : undefined;
  const width = 2 * W + GAP;
  const mark = (id: string, at: { x: number; y: number }, kind: Point['kind'], role: ModelRole, label: string, on = false) => {
    const common = {
      className: `emb-point ${kind} ${role}${on ? ' active' : ''}`,
      'data-id': id,
      'data-role': role,
      onMouseEnter: () => setActive(id),
      onClick: () => setActive(id),
    };
    const r = on ? 6 : 3.5;
    return kind === 'query' ? (
      <rect key={`${role}-${id}${on ? '-on' : ''}`} x={at.x - r} y={at.y - r} width={2 * r} height={2 * r} {...common}>
        <title>{`${role}: ${label}`}</title>
      </rect>
    ) : (
      <circle key={`${role}-${id}${on ? '-on' : ''}`} cx={at.x} cy={at.y} r={r} {...common}>
        <title>{`${role}: ${label}`}</title>
      </circle>
    );
  };
  return (
    <ChartFrame
      id="embeddings"
      title="Embeddings, teacher and student"
      formulas={['1']}
      explain={explain}
      legend={[
        { name: 'teacher', color: 'var(--teacher)' },
        { name: 'student', color: 'var(--student)' },
      ]}
      controls={
        <SelectField
          label="Highlight item"
          value={active ?? ''}
          onChange={(v) => setActive(v || null)}
          options={[{ value: '', label: '(none)' }, ...ids.map((id) => ({ value: id, label: `${layout.pos.get(id)!.kind}: ${truncate(layout.pos.get(id)!.label, 50)}` }))]}
          testId="emb-highlight"
        />
      }
      caption={
        <p aria-live="polite">
          {act ? `${act.kind === 'query' ? 'Query' : 'Passage'} “${truncate(act.label, 90)}” (${active}).` : `${ids.length} items, ${ev.method}. Hover a point to find its partner.`}
        </p>
      }
    >
      <div className="heatmap-scroll">
        <svg data-export-root width="100%" style={{ maxWidth: `${width * 1.4}px`, height: 'auto' }} viewBox={`0 0 ${width} ${H + 24}`} role="img" aria-label={`Teacher and student embeddings of ${ids.length} items, projected with ${ev.method}`} className="embeddings" data-testid="embedding-map" onMouseLeave={() => setActive(null)}>
          <text x={W / 2} y={H + 18} textAnchor="middle" className="axis-title">teacher</text>
          <text x={W + GAP + W / 2} y={H + 18} textAnchor="middle" className="axis-title">student</text>
          <rect x={0.5} y={0.5} width={W - 1} height={H - 1} className="emb-frame" />
          <rect x={W + GAP + 0.5} y={0.5} width={W - 1} height={H - 1} className="emb-frame" />
          {layout.byRole.teacher.map((p) => mark(p.id, layout.pos.get(p.id)!.teacher!, p.kind, 'teacher', p.label))}
          {layout.byRole.student.map((p) => mark(p.id, layout.pos.get(p.id)!.student!, p.kind, 'student', p.label))}
          {act?.teacher && act.student && <line x1={act.teacher.x} y1={act.teacher.y} x2={act.student.x} y2={act.student.y} className="emb-link" data-testid="emb-link" />}
          {/* The highlighted pair drawn last, on top of its neighbours. */}
          {act && active && (['teacher', 'student'] as const).map((role) => (act[role] ? mark(active, act[role]!, act.kind, role, act.label, true) : null))}
        </svg>
      </div>
    </ChartFrame>
  );
}, (a, b) => a.state.embeddings === b.state.embeddings);

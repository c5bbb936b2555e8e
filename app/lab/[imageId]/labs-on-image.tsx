import Link from 'next/link';

/** A lab that runs on the image, as the lab page offers it. */
export interface LabLink {
  id: string;
  title: string;
  description: string;
  stepCount: number;
}

/** The lab page's side panel outside a lesson: the labs that teach on this image. */
export function LabsOnImage({ labs }: { labs: readonly LabLink[] }) {
  return (
    <section className="panel labs-on-image" aria-labelledby="labs-on-image-heading" data-testid="labs-on-image">
      <h2 id="labs-on-image-heading">Learn with a lab</h2>
      {labs.length === 0 ? (
        <p className="meta">No lab runs on this image yet. Labs are folders under labs/ (README: “Writing a lab”).</p>
      ) : (
        <ul>
          {labs.map((lab) => (
            <li key={lab.id}>
              <Link href={`/labs/${encodeURIComponent(lab.id)}`}>{lab.title}</Link> <span className="meta">({lab.stepCount} steps)</span>
              <p>{lab.description}</p>
            </li>
          ))}
        </ul>
      )}
      <p className="meta">A lab runs in a workspace of its own, beside the steps and their checks; this workspace is not changed.</p>
    </section>
  );
}

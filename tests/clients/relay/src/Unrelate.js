// Removing a relation (and its mirror) drops its edges from the lists on
// screen: `@deleteEdge` on the removed ids.
import { graphql } from 'relay-runtime';

export const Unrelate = graphql`
  mutation UnrelateMutation($input: UnrelateInput!, $connections: [ID!]!) {
    unrelate(input: $input) {
      removedIds @deleteEdge(connections: $connections)
    }
  }
`;

// An update needs no directive: Relay's store updates the Relation by id.
export const UpdateLabel = graphql`
  mutation UnrelateUpdateLabelMutation($input: UpdateRelationInput!) {
    updateRelation(input: $input) {
      relation {
        id
        label
        updatedAt
      }
    }
  }
`;

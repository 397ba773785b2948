// Relating two entities inserts the new edge into the lists on screen
// without a refetch: `@appendEdge` on the payload's edges.
import { graphql } from 'relay-runtime';

export const Relate = graphql`
  mutation RelateMutation($input: RelateInput!, $fromConnections: [ID!]!, $toConnections: [ID!]!) {
    relate(input: $input) {
      created
      fromEdge @appendEdge(connections: $fromConnections) {
        cursor
        direction
        other {
          id
          name
          kind
        }
        node {
          id
          label
          createdAt
          type {
            alias
          }
        }
      }
      toEdge @appendEdge(connections: $toConnections) {
        cursor
        direction
        other {
          id
          name
          kind
        }
        node {
          id
          label
          createdAt
          type {
            alias
          }
        }
      }
    }
  }
`;

// A two-way relation adds two edges to each end's list.
export const RelateTwoWay = graphql`
  mutation RelateTwoWayMutation($input: RelateInput!, $connections: [ID!]!) {
    relate(input: $input) {
      fromEdges @appendEdge(connections: $connections) {
        cursor
        direction
        other {
          id
          name
        }
        node {
          id
          label
        }
      }
    }
  }
`;
